# The DSL's values: expressions over a goroutine's locals, its spawn index, its loop iterations
# and the value it last received (gmpcore/expr.py compiles them), evaluated here with no
# Python per event; the frames of locals; `go f(args)`; marks with values; `if`; channels made
# at run time (`ch := make(chan int)`) and the channel operations whose channel is a value.
#
# An expression is a run of (op, arg) word pairs of s.exprs ending with X_END; the loader
# (loader.pxi check_exprs) has checked that each one ends, never pops an empty stack or pushes
# past EXPR_STACK, reads only locals < s.nlocals and loop depths < MAX_LOOP_DEPTH, and leaves
# the number of values its instruction takes -- so nothing here can read out of bounds.
# Integer arithmetic follows Go's: it wraps (two's complement), / truncates toward zero, % has
# the dividend's sign, a zero divisor or a negative shift count panics.
# Uses: interp.pxi (newproc, gopark), chan.pxi (chan_begin), record.pxi (record_mark, fail).

cdef enum:
    DSL_CONTINUE = -2        # dsl_exec: a zero-cost instruction, the interpreter goes on
    MAX_RUNTIME_CHANS = 1 << 24  # channels a run may make (OP_MAKECHAN); past it, ERR_NOMEM


cdef inline int64_t *frame(State *s, int32_t gi) noexcept nogil:
    return &s.locals[<int64_t> gi * s.nlocals]


cdef bint locals_grow(State *s, int32_t gi) noexcept nogil:
    # allocg made G slot gi: the side table holds a frame for it (zeroed), doubling
    cdef int64_t *t
    cdef int64_t cap
    if s.nlocals == 0 or gi < s.locals_cap:
        return True
    cap = 2 * <int64_t> s.locals_cap if s.locals_cap > 0 else 1024
    while cap <= gi:
        cap *= 2
    t = <int64_t *> realloc(s.locals, cap * s.nlocals * sizeof(int64_t))
    if t == NULL:
        fail(s, ERR_NOMEM, 20)
        return False
    memset(t + <int64_t> s.locals_cap * s.nlocals, 0,
           (cap - s.locals_cap) * s.nlocals * sizeof(int64_t))
    s.locals = t
    s.locals_cap = <int32_t> cap
    return True


cdef inline void frame_clear(State *s, int32_t gi) noexcept nogil:
    # goexit: a dead G's frame goes back zeroed, so a G reused by gfget starts with zero locals
    if s.nlocals > 0:
        memset(frame(s, gi), 0, s.nlocals * sizeof(int64_t))


cdef inline int64_t wrap_add(int64_t x, int64_t y) noexcept nogil:
    return <int64_t> (<uint64_t> x + <uint64_t> y)


@cython.cdivision(True)           # C99's / and % are Go's: truncated, the dividend's sign
cdef int32_t expr_eval(State *s, int32_t gi, G *gp, int32_t e, int64_t *out) noexcept nogil:
    # evaluate expression e for G gi; its values go to out[0..n); returns n, or -1 after a
    # run-time panic (fail has been called)
    cdef int64_t st[EXPR_STACK]
    cdef int32_t sp = 0, op, arg, i
    cdef int64_t x, y
    cdef int32_t *it
    cdef const int32_t *w = &s.exprs[2 * <int64_t> e]
    while True:
        op = w[0]
        arg = w[1]
        w += 2
        if op == X_END:
            for i in range(sp):
                out[i] = st[i]
            return sp
        elif op == X_CONST:
            st[sp] = arg
            sp += 1
        elif op == X_LOCAL:
            st[sp] = s.locals[<int64_t> gi * s.nlocals + arg]
            sp += 1
        elif op == X_SPAWN:
            st[sp] = gp.spawn_index
            sp += 1
        elif op == X_ITER:
            # (the compiler only lets a loop's variable be used inside that loop)
            it = loopiter_at(s, gi, gp, arg) if arg < gp.loopdepth else NULL
            st[sp] = it[0] if it != NULL else 0
            sp += 1
        elif op == X_RECV:
            st[sp] = g_val(s, gi)
            sp += 1
        elif op == X_NEG:
            st[sp - 1] = <int64_t> (0 - <uint64_t> st[sp - 1])
        elif op == X_NOT:
            st[sp - 1] = 1 if st[sp - 1] == 0 else 0
        elif op == X_BITNOT:
            st[sp - 1] = ~st[sp - 1]
        else:
            sp -= 1
            x = st[sp - 1]
            y = st[sp]
            if op == X_ADD:
                x = wrap_add(x, y)
            elif op == X_SUB:
                x = <int64_t> (<uint64_t> x - <uint64_t> y)
            elif op == X_MUL:
                x = <int64_t> (<uint64_t> x * <uint64_t> y)
            elif op == X_DIV or op == X_MOD:
                if y == 0:
                    fail(s, ERR_DIVIDE, gp.pc)
                    return -1
                if y == -1:
                    # Go: x / -1 is -x (wrapping at the most negative value), x % -1 is 0 --
                    # and C's INT64_MIN / -1 would trap
                    x = <int64_t> (0 - <uint64_t> x) if op == X_DIV else 0
                elif op == X_DIV:
                    x = x // y
                else:
                    x = x % y
            elif op == X_EQ:
                x = x == y
            elif op == X_NE:
                x = x != y
            elif op == X_LT:
                x = x < y
            elif op == X_LE:
                x = x <= y
            elif op == X_GT:
                x = x > y
            elif op == X_GE:
                x = x >= y
            elif op == X_AND:
                x = x & y
            elif op == X_OR:
                x = x | y
            elif op == X_XOR:
                x = x ^ y
            elif op == X_SHL or op == X_SHR:
                if y < 0:
                    fail(s, ERR_SHIFT, gp.pc)
                    return -1
                if op == X_SHL:
                    x = 0 if y >= 64 else <int64_t> (<uint64_t> x << y)
                else:
                    x = (-1 if x < 0 else 0) if y >= 64 else x >> y
            st[sp - 1] = x


cdef int32_t chan_make(State *s, int64_t cap, int32_t site) noexcept nogil:
    # makechan: a new hchan with its own lock and cache line; returns its index or -1.  Run-time
    # channels are never freed (nothing models Go's GC of unreachable ones): their bytes count
    # against the run's recording budget, so a program making them without end stops with
    # MemoryLimitError rather than exhausting memory.
    cdef int32_t ci = s.nchans, li = s.nlocks, ncap
    cdef Chan *c
    cdef Lock *lk
    cdef Line *ln
    cdef void *t
    # (at most 2^24 of them: every capacity below stays far from int32's range)
    if ci - s.nchans_static >= MAX_RUNTIME_CHANS or not rec_charge(
            s, sizeof(Chan) + sizeof(Lock) + sizeof(Line) + cap * sizeof(int64_t), 8):
        if s.status == ST_RUNNING:
            fail(s, ERR_NOMEM, 8)
        return -1
    if ci >= s.chans_cap:
        ncap = 2 * s.chans_cap if s.chans_cap > 0 else 16
        t = realloc(s.chans, ncap * sizeof(Chan))
        if t == NULL:
            fail(s, ERR_NOMEM, 8)
            return -1
        s.chans = <Chan *> t
        s.chans_cap = ncap
    if li >= s.locks_cap:
        ncap = 2 * s.locks_cap if s.locks_cap > 0 else 16
        t = realloc(s.locks, ncap * sizeof(Lock))
        if t == NULL:
            fail(s, ERR_NOMEM, 8)
            return -1
        s.locks = <Lock *> t
        s.locks_cap = ncap
    if s.lines != NULL and s.nlines >= s.lines_cap:
        ncap = 2 * s.lines_cap if s.lines_cap > 0 else 16
        t = realloc(s.lines, ncap * sizeof(Line))
        if t == NULL:
            fail(s, ERR_NOMEM, 8)
            return -1
        s.lines = <Line *> t
        s.lines_cap = ncap
    c = &s.chans[ci]
    memset(c, 0, sizeof(Chan))
    c.dataqsiz = cap
    c.recvq_head = -1
    c.recvq_tail = -1
    c.sendq_head = -1
    c.sendq_tail = -1
    c.lock_id = li
    c.site = site
    if cap > 0:
        c.buf = <int64_t *> calloc(cap, sizeof(int64_t))
        if c.buf == NULL:
            fail(s, ERR_NOMEM, 8)
            return -1
    lk = &s.locks[li]
    lock_init(lk)
    if s.lines != NULL:
        ln = &s.lines[s.nlines]
        memset(ln, 0, sizeof(Line))
        ln.owner = -1
        ln.cls = LC_CHAN
        lk.line = s.nlines
        s.nlines += 1
    s.nlocks += 1
    s.nchans += 1
    return ci


cdef int64_t chan_handle_op(State *s, M *mp, int32_t mi, int32_t gi, G *gp,
                            const int32_t *ins) noexcept nogil:
    # OP_CSEND / OP_CRECV / OP_CCLOSE: the channel is the value of expression a (index + 1)
    cdef int64_t h
    if expr_eval(s, gi, gp, ins[1], &h) < 0:
        return -1
    if h == 0:
        # chan.go: a send or receive on a nil channel blocks forever (gopark with no waker);
        # close(nil) panics
        if ins[0] == OP_CCLOSE:
            fail(s, ERR_CLOSE_NIL, gp.pc)
            return -1
        gp.pc += 1
        gopark(s, mp, gp, waitReasonChanSendNilChan if ins[0] == OP_CSEND
               else waitReasonChanReceiveNilChan, -1)
        return s.cost.park
    if not 1 <= h <= s.nchans:
        fail(s, ERR_BAD_CHAN, h)
        return -1
    return chan_begin(s, mp, mi, <int32_t> (h - 1))


cdef int64_t dsl_exec(State *s, M *mp, int32_t mi, int32_t gi, G *gp,
                      const int32_t *ins) noexcept nogil:
    # the DSL's instructions (OP_SET .. OP_CCLOSE); returns the step's cycles, -1 (stop), or
    # DSL_CONTINUE for a zero-cost one
    cdef int64_t vals[EXPR_STACK]
    cdef int32_t op = ins[0], n, child, i
    if op == OP_SET:
        if expr_eval(s, gi, gp, ins[2], vals) < 0:
            return -1
        s.locals[<int64_t> gi * s.nlocals + ins[1]] = vals[0]
        gp.pc += 1
        return DSL_CONTINUE
    elif op == OP_IF:
        if expr_eval(s, gi, gp, ins[1], vals) < 0:
            return -1
        gp.pc = gp.pc + 1 if vals[0] != 0 else ins[2]
        return DSL_CONTINUE
    elif op == OP_GOX:
        # go f(args): the arguments are evaluated by the caller, before newproc (as Go does)
        n = expr_eval(s, gi, gp, ins[2], vals)
        if n < 0:
            return -1
        gp.pc += 1
        child = newproc(s, mp, &s.allp[mp.p], ins[1], gi)
        if child < 0:
            return -1
        for i in range(n):
            s.locals[<int64_t> child * s.nlocals + i] = vals[i]
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT           # runqputslow's lock, then wakep
        return s.cost.newproc
    elif op == OP_MARKX:
        n = expr_eval(s, gi, gp, ins[2], vals)
        if n < 0:
            return -1
        gp.pc += 1
        if s.record:
            if not record_mark(s, gi, gp, ins[1], mp.p):
                return -1
            s.marks[s.nmarks - 1].value = vals[0]
            s.marks[s.nmarks - 1].value2 = vals[1] if n > 1 else 0
            s.marks[s.nmarks - 1].value3 = vals[2] if n > 2 else 0
        if s.cost.mark > 0:
            return s.cost.mark
        return DSL_CONTINUE
    elif op == OP_MAKECHAN:
        # makechan (chan.go): mallocgc of the hchan and its buffer -- priced as a channel
        # operation
        n = chan_make(s, ins[2], ins[3])
        if n < 0:
            return -1
        s.locals[<int64_t> gi * s.nlocals + ins[1]] = <int64_t> n + 1
        gp.pc += 1
        return s.cost.chan
    elif op == OP_CSEND or op == OP_CRECV or op == OP_CCLOSE:
        return chan_handle_op(s, mp, mi, gi, gp, ins)
    fail(s, ERR_BAD_PC, gp.pc)
    return -1
