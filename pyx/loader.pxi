# The native loader: the engine's own check of a program, a second line behind gmpcore.program's
# validation.  Every array a program hands the engine is checked before the state points into
# it: an operand naming a function, channel, WaitGroup, mutex, RWMutex, runtime lock, user
# variable, distribution or label must exist; a jump must land inside its own function, outside
# any select's case table, at the same loop depth (a G counts its loops in G.loopiter, which
# has MAX_LOOP_DEPTH slots); a select's SELCASE words and case jumps must follow it.  A bad
# value is a ValueError naming the instruction (pc, function), never a read out of bounds.
# Provides load_program, check_config (the RunConfig record) and set_kernels, called by
# Engine.__init__ with the GIL; uses only _types.pxd and exports.pxi's tables.

cdef class _Loader:
    # the arrays being loaded and what the error messages need
    cdef const int32_t[::1] code
    cdef const int32_t[::1] fn_of      # function of each pc (-1: before every entry)
    cdef const int32_t[::1] depth      # loop depth before each pc executes
    cdef const uint8_t[::1] table      # 1: a word of some select's case table
    cdef int32_t ncode
    cdef object names

    cdef str where(self, int32_t pc):
        cdef int32_t f = self.fn_of[pc] if 0 <= pc < self.ncode else -1
        fname = (repr(self.names[f]) if 0 <= f < len(self.names) else f"#{f}") if f >= 0 \
            else "none"
        op = self.code[pc * INSTR_WIDTH] if 0 <= pc < self.ncode else -1
        return f"instruction {pc} ({_OPNAMES.get(op, op)}) of function {fname}"

    cdef int jump(self, int32_t pc, int32_t target, str what) except -1:
        if not 0 <= target < self.ncode:
            raise ValueError(f"gmpcore: bad program: {self.where(pc)}: {what} {target} is "
                             f"outside the code (0..{self.ncode - 1})")
        if self.fn_of[target] != self.fn_of[pc] or self.table[target]:
            raise ValueError(f"gmpcore: bad program: {self.where(pc)}: {what} {target} leaves "
                             f"the function or lands inside a select's case table")
        if self.depth[target] != self.depth[pc]:
            raise ValueError(f"gmpcore: bad program: {self.where(pc)}: {what} {target} is at "
                             f"loop depth {self.depth[target]}, the jump at {self.depth[pc]}")
        return 0

    cdef int expr(self, int32_t pc, int64_t e, dict starts, int64_t lo, int64_t hi,
                  str what) except -1:
        # operand e names an expression leaving lo..hi values
        n = starts.get(e)
        if n is None:
            raise ValueError(f"gmpcore: bad program: {self.where(pc)}: {what} {e} is not the "
                             f"start of an expression")
        if not lo <= n <= hi:
            raise ValueError(f"gmpcore: bad program: {self.where(pc)}: {what} {e} gives {n} "
                             f"values ({lo}..{hi} needed)")
        return 0

    cdef int index(self, int32_t pc, int64_t v, int64_t n, str what) except -1:
        if not 0 <= v < n:
            raise ValueError(f"gmpcore: bad program: {self.where(pc)}: {what} {v} does not "
                             f"exist (the program has {n})")
        return 0


_OPNAMES = {v: k[3:] for k, v in ENUMS.items() if k.startswith("OP_")}
_X_PUSH = (X_CONST, X_LOCAL, X_SPAWN, X_ITER, X_RECV)
_X_UNARY = (X_NEG, X_NOT, X_BITNOT)


def check_exprs(exprs, int64_t nlocals):
    # The DSL's expressions (sched/expr.pxi evaluates them unchecked): every one ends with an
    # X_END whose count is what it leaves, pops only what it pushed, stays within EXPR_STACK,
    # and reads existing locals and loop depths.  Returns {start: number of values} -- the
    # only offsets an instruction may name.
    cdef const int32_t[::1] ex = exprs
    cdef int64_t k, nx = len(exprs) // 2, start = 0, sp = 0
    cdef int32_t op, arg
    if len(exprs) % 2:
        raise ValueError("gmpcore: bad program: exprs must be (op, arg) word pairs")
    starts = {}
    for k in range(nx):
        op = ex[2 * k]
        arg = ex[2 * k + 1]
        where = f"expression {start}, word {k - start}"
        if op == X_END:
            if arg != sp:
                raise ValueError(f"gmpcore: bad program: {where}: ends with {sp} values, "
                                 f"says {arg}")
            starts[start] = sp
            start = k + 1
            sp = 0
            continue
        if op in _X_PUSH:
            if op == X_LOCAL and not 0 <= arg < nlocals:
                raise ValueError(f"gmpcore: bad program: {where}: local {arg} does not "
                                 f"exist (a frame has {nlocals})")
            if op == X_ITER and not 0 <= arg < MAX_LOOP_DEPTH:
                raise ValueError(f"gmpcore: bad program: {where}: loop depth {arg} out of "
                                 f"range")
            sp += 1
            if sp > EXPR_STACK:
                raise ValueError(f"gmpcore: bad program: {where}: deeper than {EXPR_STACK} "
                                 f"values")
        elif op in _X_UNARY:
            if sp < 1:
                raise ValueError(f"gmpcore: bad program: {where}: operator on an empty stack")
        elif X_ADD <= op <= X_SHR:
            if sp < 2:
                raise ValueError(f"gmpcore: bad program: {where}: binary operator with "
                                 f"{sp} value(s)")
            sp -= 1
        else:
            raise ValueError(f"gmpcore: bad program: {where}: unknown operation {op}")
    if start != nx:
        raise ValueError(f"gmpcore: bad program: expression {start} does not end")
    return starts


def _int32_array(value, name):
    a = np.ascontiguousarray(value if value is not None else [], dtype=np.int64)
    if a.ndim != 1:
        raise ValueError(f"gmpcore: bad program: {name} must be one-dimensional")
    if len(a) and (a.min() < -2**31 or a.max() >= 2**31):
        raise ValueError(f"gmpcore: bad program: {name} does not fit in int32")
    return a.astype(np.int32)


cdef object load_program(State *s, program, const RunConfig *c):
    # Check the program's arrays and point the state at them; returns the arrays (the Engine
    # keeps them alive while the state points into them).
    code = _int32_array(program.code, "code")
    func_entry = _int32_array(program.func_entry, "func_entry")
    dist_kind = _int32_array(program.dist_kind, "dist_kind")
    dist_a = np.ascontiguousarray(program.dist_a, dtype=np.float64)
    dist_b = np.ascontiguousarray(program.dist_b, dtype=np.float64)
    chan_caps = np.ascontiguousarray(program.chan_caps if program.chan_caps is not None else [],
                                     dtype=np.int64)
    rw_w = _int32_array(program.rw_w, "rw_w")
    var_kinds = _int32_array(program.var_kinds, "var_kinds")
    names = list(getattr(program, "func_names", None) or [])
    nwgs, nmutexes = int(program.nwgs), int(program.nmutexes)
    nrtlocks = len(program.rtlock_names or [])
    nlabels = len(program.labels or [])
    main_fn, sys_fn = int(program.main_fn), int(program.sys_fn)
    arr_fn, arr_dist, arr_count = int(program.arr_fn), int(program.arr_dist), int(program.arr_count)

    cdef int64_t nfuncs = len(func_entry), ndists = len(dist_kind), nchans = len(chan_caps)
    cdef int64_t nrw = len(rw_w), nvars = len(var_kinds)
    exprs = _int32_array(getattr(program, "exprs", None), "exprs")
    cdef int64_t nlocals = int(getattr(program, "nlocals", 0) or 0)
    cdef int64_t nsites = len(getattr(program, "makechan_names", None) or [])
    if not 0 <= nlocals <= MAX_LOCALS:
        raise ValueError(f"gmpcore: bad program: {nlocals} locals per frame (0..{MAX_LOCALS})")
    estarts = check_exprs(exprs, nlocals)
    # sync.Pool, sync.Cond and contexts (sched/pool.pxi, cond.pxi, ctx.pxi): absent from a
    # program that has none
    pool_padded = [bool(x) for x in (getattr(program, "pool_padded", None) or [])]
    pool_has_new = [bool(x) for x in (getattr(program, "pool_has_new", None) or [])]
    pool_new_base = [int(x) for x in (getattr(program, "pool_new_base", None) or [])]
    ctx_parent = [int(x) for x in (getattr(program, "ctx_parent", None) or [])]
    ctx_done = [int(x) for x in (getattr(program, "ctx_done", None) or [])]
    cdef int64_t npools = len(pool_padded), nctxs = len(ctx_parent)
    cdef int64_t nconds = int(getattr(program, "nconds", 0) or 0)
    if len(pool_has_new) != npools or len(pool_new_base) != npools:
        raise ValueError("gmpcore: bad program: pool_padded, pool_has_new and pool_new_base "
                         "differ in length")
    if any(not -2**63 <= v < 2**63 - 2**32 for v in pool_new_base):
        raise ValueError("gmpcore: bad program: a pool's New base does not fit in int64")
    if not 0 <= nconds < 2**31 or npools >= 2**20:
        raise ValueError(f"gmpcore: bad program: {nconds} conds, {npools} pools")
    if len(ctx_done) != nctxs:
        raise ValueError("gmpcore: bad program: ctx_parent and ctx_done differ in length")
    for ci, (par, dn) in enumerate(zip(ctx_parent, ctx_done)):
        if not -1 <= par < ci:
            raise ValueError(f"gmpcore: bad program: context {ci}'s parent {par} is not an "
                             f"earlier context (or -1: Background)")
        if not 0 <= dn < len(chan_caps):
            raise ValueError(f"gmpcore: bad program: context {ci}'s Done channel {dn} does not "
                             f"exist (the program has {len(chan_caps)})")
    if len(code) == 0 or len(code) % INSTR_WIDTH or len(code) // INSTR_WIDTH >= 2**31 - 1:
        raise ValueError(f"gmpcore: bad program: the code must be a non-empty whole number of "
                         f"{INSTR_WIDTH}-word instructions, got {len(code)} words")
    if len(dist_a) != ndists or len(dist_b) != ndists or dist_a.ndim != 1 or dist_b.ndim != 1:
        raise ValueError("gmpcore: bad program: dist_kind, dist_a and dist_b differ in length")
    for what, cnt in (("WaitGroups", nwgs), ("mutexes", nmutexes),
                      ("runtime locks", nrtlocks)):
        if not 0 <= cnt < 2**31:
            raise ValueError(f"gmpcore: bad program: {cnt} {what}")
    cdef int32_t ncode = <int32_t> (len(code) // INSTR_WIDTH)
    if nfuncs == 0 or func_entry.min() < 0 or func_entry.max() >= ncode:
        raise ValueError(f"gmpcore: bad program: function entries must lie in the code "
                         f"(0..{ncode - 1}), got {func_entry.tolist()[:8]}")
    for what, f, lo in (("main function", main_fn, 0), ("runtime function", sys_fn, -1),
                        ("arrivals function", arr_fn, -1)):
        if not lo <= f < nfuncs:
            raise ValueError(f"gmpcore: bad program: {what} {f} does not exist (the program "
                             f"has {nfuncs} functions)")
    if c.init_goroutines > 0 and sys_fn < 0:
        raise ValueError("gmpcore: bad program: init_goroutines needs the runtime function")
    if arr_fn >= 0 and (not 0 <= arr_dist < ndists or arr_count < 0):
        raise ValueError(f"gmpcore: bad program: arrivals distribution {arr_dist} does not "
                         f"exist (the program has {ndists}) or count {arr_count} < 0")
    for j in range(ndists):
        if dist_kind[j] not in (DIST_CONST, DIST_EXP, DIST_UNIFORM, DIST_LOGNORMAL) or \
                not (np.isfinite(dist_a[j]) and np.isfinite(dist_b[j])):
            raise ValueError(f"gmpcore: bad program: distribution {j} (kind {dist_kind[j]}, "
                             f"{dist_a[j]}, {dist_b[j]}) is not a known kind with finite "
                             f"parameters")
    if nchans and (chan_caps.min() < 0 or chan_caps.max() >= 2**40):
        raise ValueError(f"gmpcore: bad program: channel capacities must be in 0..2**40, "
                         f"got {chan_caps.min()}..{chan_caps.max()}")
    if nrw and (rw_w.min() < 0 or rw_w.max() >= nmutexes):
        raise ValueError(f"gmpcore: bad program: an RWMutex's writer mutex does not exist "
                         f"(the program has {nmutexes} mutexes)")
    for vk in var_kinds:
        if vk not in (VAR_SHARED, VAR_PER_P, VAR_PER_P_PADDED):
            raise ValueError(f"gmpcore: bad program: unknown user-variable kind {vk}")

    # which function each pc belongs to, and the select case tables
    order = np.argsort(func_entry, kind="stable")
    sorted_entries = func_entry[order]
    pos = np.searchsorted(sorted_entries, np.arange(ncode), side="right") - 1
    fn_of = np.where(pos >= 0, order[np.maximum(pos, 0)], -1).astype(np.int32)
    table = np.zeros(ncode, dtype=np.uint8)
    depth = np.zeros(ncode, dtype=np.int32)
    cdef _Loader L = _Loader()
    L.code = code
    L.fn_of = fn_of
    L.depth = depth
    L.table = table
    L.ncode = ncode
    L.names = names
    cdef const int32_t[::1] cv = code
    cdef int32_t[::1] dv = depth
    cdef uint8_t[::1] tv = table
    cdef int32_t pc, op, a, b, n, i, k, d, src, kind, fn
    # pass 1: select tables, and the loop depth of every pc (function by function, in order)
    pc = 0
    d = 0
    fn = -2
    while pc < ncode:
        if fn_of[pc] != fn or (pc > 0 and sorted_entries[max(pos[pc], 0)] == pc):
            if d != 0:
                raise ValueError(f"gmpcore: bad program: {L.where(pc - 1)}: a loop is still "
                                 f"open at the end of the function")
            fn = fn_of[pc]
        op = cv[pc * INSTR_WIDTH]
        dv[pc] = d
        if op == OP_SELECT:
            n = cv[pc * INSTR_WIDTH + 1]
            if not 1 <= n <= MAX_SELECT_CASES or pc + 2 * <int64_t> n >= ncode:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: {n} cases (1.."
                                 f"{MAX_SELECT_CASES}, and the case table must fit in the code)")
            for i in range(1, 2 * n + 1):
                if fn_of[pc + i] != fn_of[pc]:
                    raise ValueError(f"gmpcore: bad program: {L.where(pc)}: its case table "
                                     f"runs past the end of the function")
                tv[pc + i] = 1
                dv[pc + i] = d
            pc += 2 * n + 1
            continue
        if op == OP_LOOP:
            d += 1
            if d > MAX_LOOP_DEPTH:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: loops nest deeper than "
                                 f"{MAX_LOOP_DEPTH}")
        elif op == OP_ENDLOOP:
            if d == 0:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: ENDLOOP outside a loop")
            d -= 1
        pc += 1
    if d != 0:
        raise ValueError(f"gmpcore: bad program: {L.where(ncode - 1)}: a loop is still open at "
                         f"the end of the function")
    # pass 2: every operand
    pc = 0
    while pc < ncode:
        op = cv[pc * INSTR_WIDTH]
        a = cv[pc * INSTR_WIDTH + 1]
        b = cv[pc * INSTR_WIDTH + 2]
        if op in (OP_COMPUTE, OP_SLEEP, OP_SYSCALL, OP_NETWAIT, OP_WITH_TIMEOUT):
            L.index(pc, a, ndists, "distribution")
        elif op == OP_GO:
            L.index(pc, a, nfuncs, "function")
        elif op == OP_WG_ADD or op == OP_WG_WAIT:
            L.index(pc, a, nwgs, "WaitGroup")
        elif op == OP_MARK:
            L.index(pc, a, nlabels, "label")
        elif op == OP_LOOP:
            if not (0 <= b < ncode and cv[b * INSTR_WIDTH] == OP_ENDLOOP
                    and cv[b * INSTR_WIDTH + 1] == pc and fn_of[b] == fn_of[pc]):
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: its end {b} is not the "
                                 f"ENDLOOP that closes it")
        elif op == OP_ENDLOOP:
            if not (0 <= a < ncode and cv[a * INSTR_WIDTH] == OP_LOOP
                    and cv[a * INSTR_WIDTH + 2] == pc):
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: its start {a} is not "
                                 f"the LOOP it closes")
        elif op == OP_CHAN_SEND or op == OP_CSEND:
            if op == OP_CSEND:
                L.expr(pc, a, estarts, 1, 1, "channel expression")
            else:
                L.index(pc, a, nchans, "channel")
            if b not in (VAL_CONST, VAL_SPAWN, VAL_ITER, VAL_REG, VAL_EXPR):
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: unknown value source {b}")
            if b == VAL_EXPR:
                L.expr(pc, cv[pc * INSTR_WIDTH + 3], estarts, 1, 1, "value expression")
        elif op == OP_CRECV:
            L.expr(pc, a, estarts, 1, 1, "channel expression")
            if b != -1:
                L.jump(pc, b, "range exit")
        elif op == OP_CCLOSE:
            L.expr(pc, a, estarts, 1, 1, "channel expression")
        elif op == OP_SET:
            L.index(pc, a, nlocals, "local")
            L.expr(pc, b, estarts, 1, 1, "expression")
        elif op == OP_IF:
            L.expr(pc, a, estarts, 1, 1, "condition")
            L.jump(pc, b, "else target")
        elif op == OP_GOX:
            L.index(pc, a, nfuncs, "function")
            n = cv[pc * INSTR_WIDTH + 3]
            if not 0 <= n <= nlocals:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: {n} arguments (a frame "
                                 f"has {nlocals} locals)")
            L.expr(pc, b, estarts, n, n, "arguments")
        elif op == OP_MARKX:
            L.index(pc, a, nlabels, "label")
            n = cv[pc * INSTR_WIDTH + 3]
            if not 1 <= n <= 3:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: a mark records 1..3 "
                                 f"values, not {n}")
            L.expr(pc, b, estarts, n, n, "values")
        elif op == OP_MAKECHAN:
            L.index(pc, a, nlocals, "local")
            if not 0 <= b <= 1 << 26:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: channel capacity {b} "
                                 f"outside 0..2**26")
            L.index(pc, cv[pc * INSTR_WIDTH + 3], nsites, "make(chan) site")
        elif op == OP_CHAN_RECV:
            L.index(pc, a, nchans, "channel")
            if b != -1:
                L.jump(pc, b, "range exit")
        elif op == OP_CHAN_CLOSE:
            L.index(pc, a, nchans, "channel")
        elif op == OP_JMP:
            L.jump(pc, a, "jump target")
        elif op == OP_LOCK or op == OP_UNLOCK:
            L.index(pc, a, nmutexes, "mutex")
        elif op in (OP_RLOCK, OP_RUNLOCK, OP_WLOCK, OP_WUNLOCK):
            L.index(pc, a, nrw, "RWMutex")
        elif op == OP_RTLOCK:
            L.index(pc, a, nrtlocks, "runtime lock")
            L.index(pc, b, ndists, "distribution")
        elif op == OP_TOUCH:
            L.index(pc, a, nvars, "user variable")
            if b not in (ACC_READ, ACC_WRITE, ACC_RMW):
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: unknown access kind {b}")
        elif op == OP_GOMAXPROCS:
            if not 1 <= a <= c.nprocs:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: GOMAXPROCS({a}) outside "
                                 f"1..{c.nprocs} (the Ps the engine allocates)")
        elif op == OP_ALLOC:
            if a < 0:
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: allocates {a} bytes")
            if b not in (0, 1, 2, 3):   # temporary, global, free, goroutine (sched/gc.pxi)
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: unknown allocation "
                                 f"kind {b}")
        elif op == OP_SELECT:
            n = a
            for i in range(n):
                k = pc + 1 + i
                if cv[k * INSTR_WIDTH] != OP_SELCASE:
                    raise ValueError(f"gmpcore: bad program: {L.where(pc)}: word {k} of its "
                                     f"case table is not a SELCASE")
                kind = cv[k * INSTR_WIDTH + 1] & 0xF
                src = (cv[k * INSTR_WIDTH + 1] >> 4) & 0xF
                if cv[k * INSTR_WIDTH + 1] & ~(0xFF | SELCASE_CHANVAL) or (
                        cv[k * INSTR_WIDTH + 1] & SELCASE_CHANVAL and
                        kind != SEL_RECV and kind != SEL_SEND):
                    raise ValueError(f"gmpcore: bad program: {L.where(pc)}: case {i} has "
                                     f"unknown flags {cv[k * INSTR_WIDTH + 1]:#x}")
                if kind not in (SEL_RECV, SEL_SEND, SEL_AFTER, SEL_DEFAULT, SEL_DONE) or \
                        src not in (VAL_CONST, VAL_SPAWN, VAL_ITER, VAL_REG, VAL_EXPR):
                    raise ValueError(f"gmpcore: bad program: {L.where(pc)}: case {i} has an "
                                     f"unknown kind {kind} or value source {src}")
                if src == VAL_EXPR:
                    L.expr(pc, cv[k * INSTR_WIDTH + 3], estarts, 1, 1, f"case {i}'s value")
                if cv[k * INSTR_WIDTH + 1] & SELCASE_CHANVAL:
                    L.expr(pc, cv[k * INSTR_WIDTH + 2], estarts, 1, 1, f"case {i}'s channel")
                elif kind == SEL_RECV or kind == SEL_SEND:
                    L.index(pc, cv[k * INSTR_WIDTH + 2], nchans, f"case {i}'s channel")
                elif kind == SEL_AFTER:
                    L.index(pc, cv[k * INSTR_WIDTH + 2], ndists, f"case {i}'s timeout "
                                                                  f"distribution")
            for i in range(n):
                k = pc + 1 + n + i
                if cv[k * INSTR_WIDTH] != OP_JMP:
                    raise ValueError(f"gmpcore: bad program: {L.where(pc)}: word {k} of its "
                                     f"case table is not a case's JMP")
                L.jump(pc, cv[k * INSTR_WIDTH + 1], f"case {i}'s body")
            pc += 2 * n + 1
            continue
        elif op == OP_POOL_PUT:
            L.index(pc, a, npools, "sync.Pool")
            if b not in (VAL_CONST, VAL_SPAWN, VAL_ITER, VAL_REG, VAL_EXPR):
                raise ValueError(f"gmpcore: bad program: {L.where(pc)}: unknown value source {b}")
            if b == VAL_EXPR:
                L.expr(pc, cv[pc * INSTR_WIDTH + 3], estarts, 1, 1, "value expression")
        elif op == OP_POOL_GET:
            L.index(pc, a, npools, "sync.Pool")
        elif op in (OP_COND_ADD, OP_COND_WAIT, OP_COND_SIGNAL, OP_COND_BROADCAST):
            L.index(pc, a, nconds, "sync.Cond")
        elif op == OP_CANCEL:
            L.index(pc, a, nctxs, "context")
        elif op == OP_SYSCALL_BLOCK:
            L.index(pc, a, ndists, "distribution")
        elif op == OP_SELCASE:
            raise ValueError(f"gmpcore: bad program: {L.where(pc)}: a SELCASE outside a "
                             f"select's case table")
        elif op not in (OP_EXIT, OP_GOSCHED, OP_SYSPARK, OP_LOCKOSTHREAD, OP_UNLOCKOSTHREAD):
            raise ValueError(f"gmpcore: bad program: {L.where(pc)}: unknown opcode {op}")
        pc += 1

    s.code = &cv[0]
    s.ncode = ncode
    cdef const int32_t[::1] fe = func_entry
    cdef const int32_t[::1] dk = dist_kind
    cdef const double[::1] da = dist_a
    cdef const double[::1] db = dist_b
    s.func_entry = &fe[0]
    s.nfuncs = <int32_t> nfuncs
    s.dist_kind = &dk[0] if ndists else NULL
    s.dist_a = &da[0] if ndists else NULL
    s.dist_b = &db[0] if ndists else NULL
    s.ndists = <int32_t> ndists
    s.nwgs = nwgs
    s.nmutexes = nmutexes
    cdef const int32_t[::1] xv = exprs
    s.exprs = &xv[0] if len(exprs) else NULL
    s.nexprs = <int32_t> len(exprs)
    s.nlocals = <int32_t> nlocals
    ops = code[::INSTR_WIDTH]
    return {"arrays": (code, func_entry, dist_kind, dist_a, dist_b, exprs),
            "chan_caps": [int(x) for x in chan_caps], "rw_w": [int(x) for x in rw_w],
            "var_kinds": [int(x) for x in var_kinds], "nrtlocks": nrtlocks,
            "main_fn": main_fn, "sys_fn": sys_fn, "arr_fn": arr_fn, "arr_dist": arr_dist,
            "arr_count": arr_count,
            # a GC controller for a program that allocates (or calls runtime.GC), a deadline
            # per G for one that uses context deadlines
            "uses_alloc": bool((ops == OP_ALLOC).any()),
            "uses_deadlines": bool((ops == OP_WITH_TIMEOUT).any()),
            "pool_padded": pool_padded, "pool_has_new": pool_has_new,
            "pool_new_base": pool_new_base, "nconds": nconds, "ctx_parent": ctx_parent,
            "ctx_done": ctx_done,
            # the per-G side table: Cond tickets, g.lockedm
            "uses_gsync": bool(np.isin(ops, [OP_COND_ADD, OP_COND_WAIT, OP_COND_SIGNAL,
                                             OP_COND_BROADCAST, OP_LOCKOSTHREAD,
                                             OP_UNLOCKOSTHREAD]).any())}


def _bad_config(name, v, rng):
    raise ValueError(f"gmpcore: bad engine config: {name} = {v} (must be {rng})")


def check_config(cfg):
    # RunConfig values the engine cannot run with: sizes it allocates from, enum values it
    # switches on, and negative times (an event in the past).  gmpcore.config validates the
    # same things with the user's names; this is the engine's own line.
    bad = _bad_config
    lim = {"nprocs": (1, 1024), "maxmcount": (1, 10**6), "sockets": (1, 8),
           "cores": (0, MAX_CORES), "layout": (LAYOUT_GO, LAYOUT_PADDED),
           "init_goroutines": (0, 1 << 16), "max_events": (1, 2**62), "seed": (0, 2**64 - 1),
           "start_schedtick": (0, 2**32 - 1), "gc_percent": (-1, 2**31 - 1),
           "gc_pacer": (0, 1), "gc_workers": (0, 1), "gc_assists": (0, 1),
           "gc_heap_minimum": (0, 2**62), "gc_chunk": (0, 2**62), "gc_roots": (0, 2**62)}
    rate = float(cfg["gc_scan_rate"])
    if int(cfg["gc_pacer"]) and not (rate == rate and 1e-9 <= rate <= 1e9):
        bad("gc_scan_rate", rate, "a finite number of bytes per cycle in 1e-9..1e9")
    for name in CONFIG_DTYPE.names:
        if name in ("cost", "strat", "gc_scan_rate"):
            continue
        v = int(cfg[name])
        lo, hi = lim.get(name, (0, 2**63 - 1))
        if not lo <= v <= hi:
            bad(name, v, f"{lo}..{hi}")
    if not 0 <= int(cfg["gomaxprocs"]) <= int(cfg["nprocs"]):
        bad("gomaxprocs", int(cfg["gomaxprocs"]), f"0..nprocs ({int(cfg['nprocs'])})")
    if int(cfg["trace_from"]) > int(cfg["trace_to"]):
        bad("trace_from", int(cfg["trace_from"]), "<= trace_to")
    if int(cfg["adapt_every"]) > 0 and not 1e-6 <= float(cfg["clock_ghz"]) <= 1e6:
        bad("clock_ghz", float(cfg["clock_ghz"]), "1e-6..1e6 GHz with a GOMAXPROCS controller")
    cost = cfg["cost"]
    for name in cost.dtype.names:
        if not 0 <= int(cost[name]) <= 10**15:
            bad("cost." + name, int(cost[name]), "0..1e15 cycles")
    st = cfg["strat"]
    ring = int(st["ring_cap"])
    if not 2 <= ring <= 1 << 20 or ring & (ring - 1):
        bad("strat.ring_cap", ring, "a power of two in 2..2**20")
    lim = {"ring_cap": (2, 1 << 20), "steal_passes": (1, 64), "fairness_tick": (0, 1 << 30),
           "global_batch_max": (1, 1 << 20), "overflow_batch": (1, ring),
           "steal_amount": (STEAL_HALF, STEAL_BATCH), "steal_batch": (0, ring),
           "victim": (VICTIM_GO, VICTIM_SAME_SOCKET), "ready": (READY_RUNNEXT, READY_GLOBAL),
           "spin_pct": (0, 100)}
    for name in st.dtype.names:
        lo, hi = lim.get(name, (0, 1))                  # the rest are flags
        if not lo <= int(st[name]) <= hi:
            bad("strat." + name, int(st[name]), f"{lo}..{hi}")
    if int(st["steal_amount"]) == STEAL_BATCH and int(st["steal_batch"]) < 1:
        bad("strat.steal_batch", int(st["steal_batch"]), "1..ring_cap with STEAL_BATCH")


cdef object set_kernels(State *s, kernels):
    # Fill s.kern from {hook name: Kernel}; returns what the Engine must hold for the run.
    kernels = dict(kernels or {})
    for hook, k in kernels.items():
        if getattr(k, "hook", hook) != hook:
            raise ValueError(f"gmpcore: a {k.hook!r} kernel given for hook {hook!r}")
        addr = int(k.address)
        if addr == 0:
            raise ValueError(f"gmpcore: kernel for hook {hook!r} has no address")
        if hook == "choose_victim":
            s.kern.choose_victim = <victim_fn_t> <size_t> addr
        elif hook == "steal_amount":
            s.kern.steal_amount = <amount_fn_t> <size_t> addr
        elif hook == "place_ready":
            s.kern.place_ready = <ready_fn_t> <size_t> addr
        elif hook == "gomaxprocs":
            s.kern.gomaxprocs = <gomaxprocs_fn_t> <size_t> addr
        else:
            raise ValueError(f"gmpcore: unknown kernel hook {hook!r}; hooks: "
                             f"{', '.join(HOOK_NAMES.values())}")
    return kernels
