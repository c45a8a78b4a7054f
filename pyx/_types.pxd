# cython: language_level=3
#
# Every struct, enum and typedef of the native engine, declared once.
#
# Field names follow golang/go src/runtime/runtime2.go (type g, type p, type m, type schedt) so a
# reader can grep the Go source.  numpy dtypes are derived from these structs in _engine.pyx;
# nothing else writes the layout a second time.
#
# Invariants the engine keeps (docs/invariants.md; checked in sched/check.pxi):
#   * a G is in at most one place: one P's ring, one P's runnext, the global queue, a wait list,
#     a free list, or curg of exactly one M;
#   * status == _Grunnable  <=>  the G is in exactly one run queue;
#   * 0 <= runqtail - runqhead <= ring capacity for every P, at every step;
#   * runqtail is written only by the owner P; runqhead only grows, and only by CAS.

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

# ---------------------------------------------------------------------------------------------
# Status values: the integers of runtime2.go, so scheddetail output can print them unchanged.
cdef enum:
    _Gidle = 0
    _Grunnable = 1
    _Grunning = 2
    _Gsyscall = 3
    _Gwaiting = 4
    _Gdead = 6

cdef enum:
    _Pidle = 0
    _Prunning = 1
    _Psyscall = 2
    _Pgcstop = 3
    _Pdead = 4

# Wait reasons (a subset of runtime2.go waitReasonStrings, same spelling in Python).
cdef enum:
    waitReasonZero = 0
    waitReasonSyncWaitGroupWait = 1
    waitReasonFinalizerWait = 2
    waitReasonChanSend = 3
    waitReasonChanReceive = 4
    waitReasonSyncMutexLock = 5
    waitReasonSleep = 6
    waitReasonSelect = 7
    waitReasonChanSendNilChan = 8
    waitReasonIOWait = 9
    waitReasonSyscall = 10       # (not a Go wait reason: a G in _Gsyscall, for reports)
    waitReasonSemacquire = 11    # runtime.GOMAXPROCS waiting on gcsema for a GC cycle to end
    waitReasonSyncRWMutexRLock = 12
    waitReasonSyncRWMutexLock = 13
    waitReasonChanReceiveNilChan = 14    # a receive from a nil channel (DSL channel values)
    waitReasonSyncCondWait = 15  # sync.Cond.Wait (runtime/sema.go notifyListWait)
    waitReasonGCAssistWait = 40  # gcParkAssist: a mark assist waiting for background credit
                                 # (sched/gc.pxi; numbered apart from other streams' additions)

cdef enum:
    MAX_LOOP_DEPTH = 4     # nesting limit of loops in one function (checked in Python)
    G_LOOPS_INLINE = 2     # loop counters kept in the G record; the rest in State.g_loophi

# ---------------------------------------------------------------------------------------------
# A goroutine.  Kept small on purpose (DESIGN.md: 10M goroutines in well under 1 GB); Gs live in
# chunks that never move, and dead Gs are recycled through gFree lists as Go's gfput/gfget do.
ctypedef struct G:
    int64_t goid            # goroutine id; main is 1, then creation order
    int64_t runnable_since  # cycle it last became _Grunnable (latency start); while _Gwaiting,
                            # the cycle it parked (Go's waitsince)
    int64_t parent_goid     # goid of the creator ("created by" in goroutine dumps), 0 for main
    int32_t schedlink       # next G on a gQueue/gList/wait list (-1: none)
    int32_t pc              # index of the next instruction in the program's code array
    int32_t m               # index of the M running it (-1: none)
    int32_t spawn_index     # iteration of the spawner's innermost loop at the `go` statement
    int32_t waiting_on      # object a _Gwaiting G is parked on (-1: none)
    int32_t gopc            # pc of the `go` statement that created it (-1: main, arrivals,
                            # runtime goroutines) -- Go's g.gopc; startpc follows from it
    int32_t loopiter[G_LOOPS_INLINE]  # iteration counters of the two outermost enclosing
                            # loops; deeper ones (up to MAX_LOOP_DEPTH) in State.g_loophi
    uint8_t status          # _G* value
    uint8_t waitreason      # waitReason* value while _Gwaiting
    uint8_t loopdepth       # number of active loops (entries of loopiter, then g_loophi)
    uint8_t flags           # G_FLAG_* bits
    int16_t cowner          # cache model: core that last touched the descriptor line (-1: none)
    uint8_t _pad[2]         # (the record is exactly 64 bytes: one cache line per G)
    # Fields only blocking operations use live in side tables by G index, allocated on first
    # use (gs.pxi g_val / g_wait / loopiter_at): G.val (the value last received on a
    # channel), G.wait_start (mutex wait start, select timeout or case won, a preempted
    # compute's cycles left) and the iterations of loops nested deeper than G_LOOPS_INLINE.

# A G waiting on a channel (runtime/runtime2.go sudog).  A plain send or receive has one; a
# select has one per channel case, linked through waitlink, so one G can sit in several
# channels' wait queues at once.  Sudogs live in a side table (State.sudogs) so the G record
# stays small; channel wait queues (waitq) are doubly linked so a select can leave all of them.
ctypedef struct Sudog:
    int64_t elem            # the value being sent (a sender's sudog)
    int32_t g               # the waiting G
    int32_t next            # waitq links (-1: none)
    int32_t prev
    int32_t waitlink        # the next sudog of the same select (-1: none)
    int32_t c               # the channel whose queue holds it (-1: dequeued)
    int16_t casei           # select case index (-1: a plain send or receive)
    uint8_t isSend          # on c.sendq (else c.recvq)
    uint8_t _pad

cdef enum:
    G_FLAG_SYSTEM = 1       # a runtime goroutine (not counted as a user goroutine)
    G_FLAG_STARTED = 2      # has run at least once (start_order records only the first run)
    G_FLAG_CLOSED = 4       # woken by closechan (a receive gets the zero value, !ok)
    G_FLAG_HANDOFF = 8      # sync.Mutex: its semacquire returned (a starvation-mode ticket or a
                            # count of m.sema): lockSlow goes on (owner if the mutex starves)
    G_FLAG_RESUME = 16      # preempted mid-compute: g_wait holds the cycles left
    G_FLAG_PREEMPT = 32     # gp.preempt: stop at the next safe point (sync preemption)
    G_FLAG_SELWOKE = 64     # woken in a select: g_wait holds the index of the case won
    G_FLAG_SEMRETRY = 128   # woken from a sync.Mutex / RWMutex semaphore: retry cansemacquire (the count
                            # was not handed to it: semrelease handoff=false)
    G_FLAG_SEMALIFO = 4     # (G_FLAG_CLOSED's bit, which closechan no longer sets) parked on a
                            # sync.Mutex semaphore by a semacquire call with lifo=true: queue
                            # again at the front if woken without the count (sched/mutex.pxi)

# ---------------------------------------------------------------------------------------------
# A processor.  The ring itself lives in a separate buffer (Engine.runq_buf) so its capacity is
# a strategy parameter; runqhead/runqtail are free-running uint32 indexes exactly as in Go.
ctypedef struct P:
    int32_t id
    int32_t status          # _P* value
    int32_t m               # owning M (-1: none)
    int32_t link            # next P on sched.pidle (-1: none)
    uint32_t runqhead       # advanced by CAS by the owner (runqget) and thieves (runqgrab)
    uint32_t runqtail       # written only by the owner
    int32_t runnext         # G that runs next and inherits the time slice (-1: none)
    uint32_t schedtick      # incremented on every execute that does not inherit the time slice
    uint32_t syscalltick
    int32_t gFree           # head of the per-P dead-G list (gfput/gfget)
    int32_t gFreeCount
    int32_t idle            # bit of sched.idlepMask: on the idle list
    int64_t runq_off        # offset of this P's ring in Engine.runq_buf
    int32_t line_base       # cache model: first line of this P's runq lines
    int32_t goidcache       # newproc: goids left in this P's batch (_GoidCacheBatch = 16)
    int32_t oldm            # p.oldm: the M that last held it (startTheWorld prefers it)
    int64_t goidnext        # p.goidcache: the next goid of this P's batch
    uint32_t sysmon_schedtick   # p.sysmontick.schedtick: what sysmon saw last
    int64_t sysmon_schedwhen    # p.sysmontick.schedwhen: when it saw it change
    uint32_t sysmon_syscalltick # p.sysmontick.syscalltick
    int64_t sysmon_syscallwhen  # p.sysmontick.syscallwhen
    int64_t pidle_since     # core/observe.pxi: cycle of the pidleput that began this P's idle
                            # spell (-1: not idle); the next acquirep ends it (P unpark latency)

# Per-P counters (kept out of the hot P record).
ctypedef struct PStats:
    int64_t steals          # successful steals BY this P (from another P's ring or runnext)
    int64_t stolen          # Gs taken by this P in steals
    int64_t stolen_from     # Gs taken FROM this P by thieves
    int64_t steal_attempts  # victims probed
    int64_t cas_fail        # failed CAS on runqhead/runnext by this P's M
    int64_t runqputslow     # overflows of this P's ring to the global queue
    int64_t executes
    int64_t busy_cycles     # cycles an M on this P ran user code

# ---------------------------------------------------------------------------------------------
# A thread.  Ms are the actors: each M runs the scheduler as a sequence of micro-steps (state),
# each with a cycle cost; other Ms' steps interleave between two steps of one M.
ctypedef struct M:
    int32_t id
    int32_t p               # attached P (-1: none)
    int32_t nextp           # P to acquire when woken (startm)
    int32_t curg            # user G attached (-1: none)
    int32_t state           # next micro-step (MS_*)
    int32_t ret             # micro-step to return to after a sub-sequence (wakep, ready, ...)
    int32_t schedlink       # next M on sched.midle or on a lock's wait queue (-1: none)
    int32_t spinning        # out of local work and looking for it (counted in nmspinning)
    int32_t parked          # sleeping on m.park (on sched.midle)
    int32_t core            # core the thread runs on (cache model)
    int32_t arg             # operand of the current sub-sequence (a G, a list head, ...)
    int32_t arg2
    int32_t wasSpinning
    # in-flight steal (stealWork / runqgrab), kept across micro-steps so that other Ms can move
    # the victim's runqhead between this M's load and its CAS
    int32_t steal_pass
    int32_t steal_pos
    int32_t steal_inc
    int32_t steal_i
    int32_t steal_victim
    uint32_t steal_h
    uint32_t steal_n
    uint32_t steal_len      # victim ring length seen at the load
    uint32_t steal_t        # victim runqtail seen at the load (steal from the tail)
    uint32_t steal_r        # cheaprand of the current pass
    int32_t steal_next      # runnext value seen, for the runnext CAS
    uint32_t get_h          # runqget: head loaded before the CAS
    int32_t state_after_lock  # critical-section step of a queued waiter
    int32_t startm_p        # wakep -> startm: the idle P to hand over
    int32_t ev_gen          # generation of this M's pending event (see EV_M)
    int32_t in_compute      # the pending event ends a compute step (async-preemptible)
    int64_t compute_end
    int32_t lock_retry      # woken from the lock's futex: retrying (keeps lock_req)
    int32_t lock_id         # the Lock this M is acquiring / holding (0: sched.lock)
    int32_t chan_op         # MS_CHAN_LOCKED: OP_CHAN_SEND / RECV / CLOSE
    int32_t lock_cont       # MS_LOCK: the critical-section step to run once sched.lock is held
    int32_t retstack[4]     # return states of nested sub-sequences (put+wakep, startm, ...)
    int32_t nret
    int32_t gbatch_head     # Gs bound for the global queue, put under the next sched.lock
    int32_t gbatch_tail
    int32_t gbatch_n
    int32_t gbatch_startidle  # injectglist: Ms to start on idle Ps once the batch is put (startIdle)
    int32_t oldp            # the P it had when it entered a syscall (exitsyscall tries it first)
    uint32_t syscalltick    # m.syscalltick: p.syscalltick at syscall entry
    int64_t lock_req        # cycle at which the M asked for the lock it is waiting on
    int64_t idle_since      # cycle at which the M parked
    int64_t spin_since      # cycle at which the M started spinning
    int64_t lock_spin_end   # lock2: cycle this M's spin on a lock word ends (then it sleeps)
    int32_t lock_attail     # lock2's atTail: woken from the bottom of the sleep stack (may spin)
    int64_t born            # cycle newm created the thread (the M idle fraction's thread-time)
    int32_t lockedg         # m.lockedg: the G locked to this thread by LockOSThread (-1: none)
    int32_t lockedExt       # m.lockedExt: LockOSThread calls not yet undone by UnlockOSThread
    int32_t lockedwake      # startlockedm's notewakeup came before stoplockedm's mPark
    int32_t steal_walk      # stealWork's walk (sched/steal.pxi), set at each pass's start:
                            # GOMAXPROCS then (low 16 bits), steal_inc's inverse mod it (high
                            # bits, 0: not computed yet); one int32 keeps sizeof(M) at 256

# A modelled lock (sched.lock now; channel locks and mutexes reuse it).  FIFO waiters; a holder's
# critical section ends at held_until; a waiter lined up for hand-off is `pending`.
ctypedef struct Lock:
    int64_t busy_until      # cycle the lock is free again (INT64_MAX: held or being handed over)
    int32_t pending         # M granted the lock, whose step runs at the hand-off time (-1: none)
    int32_t waithead        # FIFO of Ms waiting (linked through M.schedlink)
    int32_t waittail
    int32_t holder          # M holding or about to hold the lock (-1: none)
    int64_t acquisitions
    int64_t contended       # acquisitions that had to wait
    int64_t wait_cycles     # total cycles Ms spent waiting
    int64_t hold_cycles
    int64_t grant_time      # cycle the current holder got it
    int32_t line            # cache line of the lock word
    # the spin-bit mutex (lock_spinbit.go); the sleeping Ms are a LIFO stack from waithead
    # (linked through M.schedlink; waittail is unused)
    int32_t spinner         # M holding mutexSpinning (-1: none)
    int32_t spinhead        # Ms spinning on the lock word, in the order they started, through
    int32_t spintail        #   M.schedlink (the spin-bit holder, atTail Ms; on sched.lock, all)
    int64_t sleeps          # times an M went to sleep on the lock (semasleep)
    int64_t wakes           # Ms woken by unlock2Wake
    int64_t tail_wakes      # ... of which the oldest sleeper (the 1-in-16 anti-starvation wake)
    int64_t spin_acquires   # releases taken by a waiter still spinning (no futex round trip)
    int32_t unlock_ev       # an EV_UNLOCK event for busy_until is in the heap

# The global scheduler state (type schedt).
ctypedef struct Sched:
    int32_t gomaxprocs
    int32_t midle           # idle M list (LIFO through M.schedlink)
    int32_t nmidle
    int32_t mnext           # number of Ms created
    int32_t pidle           # idle P list (LIFO through P.link)
    int32_t npidle
    int32_t nmspinning
    int32_t needspinning
    int32_t runq_head       # global run queue (gQueue through G.schedlink)
    int32_t runq_tail
    int64_t runqsize
    int32_t gFree           # global dead-G cache
    int32_t gFreeCount
    int64_t goidgen
    int64_t ngoroutines     # live user goroutines

# A channel (runtime/chan.go hchan).  Values are int64; the buffer is a ring of dataqsiz.
ctypedef struct Chan:
    int64_t qcount
    int64_t dataqsiz
    int64_t sendx
    int64_t recvx
    int64_t *buf
    int32_t recvq_head      # parked receivers, FIFO of sudogs (State.sudogs indexes)
    int32_t recvq_tail
    int32_t sendq_head      # parked senders, FIFO of sudogs (the value in sudog.elem)
    int32_t sendq_tail
    int32_t closed
    int32_t lock_id         # its hchan.lock (a modelled Lock)
    int64_t sends
    int64_t recvs
    int64_t blocked_sends
    int64_t blocked_recvs
    int32_t site            # the OP_MAKECHAN that made it (its c: a name index), -1: declared
                            # with Program.chan

# A sync.Mutex (internal/sync/mutex.go): state bits and the semaphore's waiter queue.
ctypedef struct Mutex:
    int32_t locked
    int32_t woken
    int32_t starving
    int32_t nwait           # waiters (state >> mutexWaiterShift)
    int32_t semahead        # sema queue: FIFO, re-waiters go to the front (lifo)
    int32_t sematail
    int32_t holder          # goid low bits of the holder (diagnostics)
    int32_t line            # cache line of the state word
    int64_t acquisitions
    int64_t contended
    int64_t starvation_switches
    int64_t handoffs
    int64_t wait_cycles     # cycles goroutines spent parked waiting for it
    int32_t sema_lock       # the lock of m.sema's semaRoot (runtime/sema.go), in State.locks
    int32_t sema            # m.sema: the semaphore's count (sema.go: *addr)
    int32_t root_nwait      # Gs queued on the semaRoot for m.sema (root.nwait; nwait above is
                            # the state word's waiter count, which counts Gs on their way too)

# A sync.RWMutex (sync/rwmutex.go): a writer Mutex, the reader count (minus rwmutexMaxReaders
# while a writer is pending), the readers a pending writer waits for, and two semaphores.
ctypedef struct RWMutex:
    int32_t w               # the writers' sync.Mutex (an index into State.mutexes)
    int32_t readerCount
    int32_t readerWait
    int32_t rsemhead        # readerSem: readers waiting for a writer (FIFO through schedlink)
    int32_t rsemtail
    int32_t wsemhead        # writerSem: the writer waiting for departing readers
    int32_t wsemtail
    int32_t rsem            # the semaphores' counts (runtime/sema.go: *addr)
    int32_t wsem
    int32_t line            # cache line of readerCount / readerWait
    int64_t rlocks
    int64_t wlocks
    int64_t reader_waits    # RLocks that had to wait for a writer
    int64_t writer_waits    # Locks that had to wait for readers to leave
    int32_t sema_lock       # the lock of the semaRoot that readerSem and writerSem share (they
                            # sit in one 8-byte word: sema.go rootFor hashes addr >> 3)

# A WaitGroup (sync.WaitGroup): counter plus a FIFO of waiters (the sema queue).
ctypedef struct WaitGroup:
    int64_t counter
    int32_t waithead
    int32_t waittail
    int32_t nwait

# sync.Pool (sync/pool.go): one poolLocal per P.  poolLocalInternal is `private any` plus a
# poolChain (the owner pushes and pops at the head, thieves pop the tail); the chain of
# poolDequeues is kept as one deque of values (same order of values).  Without padding two
# poolLocals (32 bytes each) share a 64-byte line; Go pads each to 128 bytes (two lines).
ctypedef struct PoolLocal:
    int64_t private         # l.private (0: nil)
    int64_t *buf            # the poolChain's values, a ring of cap slots (NULL until a push)
    uint32_t head           # pushHead / popHead end (free-running)
    uint32_t tail           # popTail end
    uint32_t cap
    int32_t line            # cache line of this poolLocal (shared with a neighbour unpadded)
    int32_t dline           # cache line of its poolDequeue's headTail word

ctypedef struct Pool:
    PoolLocal *local        # p.local: nprocs slots, localSize of them in use
    PoolLocal *victim       # p.victim: last cycle's local (poolCleanup)
    int32_t localSize       # p.localSize (0: not pinned since the last GC: not in allPools)
    int32_t victimSize
    int32_t padded          # poolLocal padded to 128 bytes (Go's layout)
    int32_t line            # the Pool struct's line (local, localSize: read by every pin)
    int32_t has_new         # p.New != nil: New returns new_base + news
    int32_t _pad
    int64_t new_base
    int64_t gets
    int64_t puts
    int64_t private_hits    # Get served by l.private
    int64_t shared_hits     # Get served by this P's shared chain (popHead)
    int64_t steals          # Get served by another P's shared chain (getSlow's popTail)
    int64_t victim_hits     # Get served by the victim cache
    int64_t news            # Get called New
    int64_t nil_gets        # Get returned nil (no New)
    int64_t cleanups        # poolCleanup passes that moved a non-empty local to victim
    int64_t line_hits       # cache model: accesses to the pool's lines that hit,
    int64_t line_transfers  #   came from another core (a coherence miss; of which remote:
    int64_t line_transfers_remote   # from another socket),
    int64_t line_mem        #   came from memory,
    int64_t line_invalidations  # and copies they invalidated

# sync.Cond's notify list (runtime/sema.go notifyList): tickets in Wait order; waiters linked
# through G.schedlink, each G's ticket in the GSync side table.
ctypedef struct Cond:
    uint32_t wait           # notifyList.wait: the next ticket (notifyListAdd)
    uint32_t notify         # notifyList.notify: the next ticket to be notified
    int32_t head            # waiting Gs (-1: none), in the order they called notifyListWait
    int32_t tail
    int32_t line            # cache line of the notifyList
    int32_t nwait
    int64_t waits
    int64_t signals
    int64_t broadcasts
    int64_t wakeups

# A cancelable context (context.WithCancel): Done() is channel `done`, closed by cancel;
# children are the contexts whose parent chain leads here.
ctypedef struct Ctx:
    int32_t parent          # -1: context.Background()
    int32_t done            # index of its Done() channel in State.chans
    int64_t cancels         # CancelFunc calls that cancelled it (directly or via a parent)

# Per-G state of these features, a side table by G index allocated only for programs that use
# them (the G record stays small): a Cond ticket and the LockOSThread state.
ctypedef struct GSync:
    uint32_t ticket         # notifyListAdd's ticket, until notifyListWait
    int32_t lockedm         # g.lockedm: the M this G is locked to (-1: none)

# One entry of the event heap: (time, seq) orders events; ties never break at random.
ctypedef struct Event:
    int64_t time
    int64_t seq
    int32_t kind
    int32_t id

# A recorded successful steal (record=True).
ctypedef struct StealRec:
    int64_t time
    int32_t thief           # P that stole
    int32_t victim          # P stolen from
    int32_t n               # Gs taken
    int32_t victim_len      # victim's ring length (runqtail - runqhead) at the load
    int32_t runnext         # 1 if the G taken was the victim's runnext

# A recorded mark(label).
ctypedef struct MarkRec:
    int64_t time
    int64_t goid
    int64_t parent_goid
    int32_t label
    int32_t spawn_index
    int32_t iteration
    int32_t p
    int64_t value           # the goroutine's G.val (last value received); a mark with
                            # values (OP_MARKX): the first value
    int64_t value2          # OP_MARKX: the second and third values (0: none)
    int64_t value3

# ---------------------------------------------------------------------------------------------
# Bytecode.  One instruction = INSTR_WIDTH int32 words: (opcode, a, b, c).  gmpcore/program.py
# holds the matching Python enum (OPCODES) and a test pins the two together.
cdef enum:
    INSTR_WIDTH = 4

cdef enum Opcode:
    OP_EXIT = 0          # end of the function: goexit
    OP_COMPUTE = 1       # a = distribution index: run user code for that many cycles
    OP_GO = 2            # a = function index: newproc (spawn index = innermost loop iteration)
    OP_WG_ADD = 3        # a = WaitGroup, b = delta
    OP_WG_WAIT = 4       # a = WaitGroup
    OP_MARK = 5          # a = label index
    OP_LOOP = 6          # a = iterations, b = pc of the matching OP_ENDLOOP
    OP_ENDLOOP = 7       # a = pc of the matching OP_LOOP
    OP_GOSCHED = 8       # runtime.Gosched
    OP_SYSPARK = 9       # (runtime goroutines only) park for good, like runfinq with no work
    OP_CHAN_SEND = 10    # a = chan, b = value source (VAL_*), c = constant
    OP_CHAN_RECV = 11    # a = chan, b = pc to jump to when the channel is closed (-1: none)
    OP_CHAN_CLOSE = 12   # a = chan
    OP_JMP = 13          # a = target pc
    OP_LOCK = 14         # a = mutex: sync.Mutex.Lock
    OP_UNLOCK = 15       # a = mutex: sync.Mutex.Unlock
    OP_SLEEP = 16        # a = distribution: time.Sleep
    OP_RTLOCK = 17       # a = runtime lock, b = distribution: hold it that long (the M waits
                         #     for it with its P, as for mheap.lock in growslice)
    OP_SELECT = 18       # a = number of cases n; the n OP_SELCASE words follow, then n OP_JMP
                         #     words (case i's body starts at the target of the i-th JMP)
    OP_SELCASE = 19      # a = SEL_* kind | value source << 4, b = chan (or timeout distribution),
                         #     c = constant sent (VAL_CONST)
    OP_SYSCALL = 20      # a = distribution: a blocking system call that long
    OP_NETWAIT = 21      # a = distribution: wait for network readiness (netpoller) that long
    OP_TOUCH = 22        # a = user variable, b = ACC_* kind, c = 1: the variable is per-P
                         #     (this P's slot), 0: one shared word
    OP_GOMAXPROCS = 23   # a = n: runtime.GOMAXPROCS(n) (stop the world, procresize, start)
    OP_ALLOC = 24        # a = bytes allocated (mallocgc's GC trigger); 0: runtime.GC()
    OP_RLOCK = 26        # a = RWMutex: RLock
    OP_RUNLOCK = 27      # a = RWMutex: RUnlock
    OP_WLOCK = 28        # a = RWMutex: Lock, after its writer Mutex is held (the compiler emits
                         #     OP_LOCK w; OP_WLOCK)
    OP_WUNLOCK = 29      # a = RWMutex: Unlock, before its writer Mutex (OP_WUNLOCK; OP_UNLOCK w)
    OP_WITH_TIMEOUT = 25 # a = distribution: context.WithTimeout -- the G's deadline becomes
                         #     min(deadline, now + d); goroutines it starts inherit it
    # The DSL's values (gmpcore/expr.py; pyx/sched/expr.pxi evaluates them).  An operand named
    # "expression" is the start (in word pairs) of an expression in the program's `exprs`
    # array, which the loader checks: it ends, fits the stack and leaves the values required.
    # Locals are the G's frame in the State.locals side table.  (From 60: the other streams
    # number their opcodes after 29.)
    OP_SET = 60          # a = local slot, b = expression: slot = value
    OP_IF = 61           # a = expression, b = pc to go to when it is false (0)
    OP_GOX = 62          # a = function, b = expression of c values: `go f(args)`, the values
                         #     land in the new G's first c locals
    OP_MARKX = 63        # a = label, b = expression of c (1..3) values recorded with the mark
    OP_MAKECHAN = 64     # a = local slot, b = capacity, c = name index: slot = make(chan, b)
    OP_CSEND = 65        # a = channel expression, b = value source (VAL_*), c = constant or
                         #     value expression (VAL_EXPR)
    OP_CRECV = 66        # a = channel expression, b = `range` exit (-1: none)
    OP_CCLOSE = 67       # a = channel expression
    # sync.Pool, sync.Cond, context cancellation, LockOSThread (sched/pool.pxi, cond.pxi,
    # ctx.pxi, lockos.pxi)
    OP_POOL_PUT = 30     # a = pool, b = value source (VAL_*), c = constant: sync.Pool.Put
    OP_POOL_GET = 31     # a = pool: sync.Pool.Get (the value lands in G.val; 0: nil)
    OP_COND_ADD = 32     # a = cond: runtime_notifyListAdd (the ticket goes to the G's side
                         #     table); Cond.Wait compiles to COND_ADD, UNLOCK, COND_WAIT, LOCK
    OP_COND_WAIT = 33    # a = cond: runtime_notifyListWait(ticket)
    OP_COND_SIGNAL = 34  # a = cond: runtime_notifyListNotifyOne
    OP_COND_BROADCAST = 35   # a = cond: runtime_notifyListNotifyAll
    OP_CANCEL = 36       # a = context: its CancelFunc (close Done, then its children's)
    OP_LOCKOSTHREAD = 37     # runtime.LockOSThread
    OP_UNLOCKOSTHREAD = 38   # runtime.UnlockOSThread
    OP_SYSCALL_BLOCK = 39    # a = distribution: a system call entered with entersyscallblock
                             #     (the P is handed off at once)

cdef enum:
    VAR_SHARED = 0       # one word on one line
    VAR_PER_P = 1        # a word per P, eight to a line (false sharing between Ps)
    VAR_PER_P_PADDED = 2 # a word per P, each on its own line (poolLocal's pad)

cdef enum:
    SEL_RECV = 0
    SEL_SEND = 1
    SEL_AFTER = 2        # case <-time.After(d) (or a context's Done with deadline d)
    SEL_DEFAULT = 3
    SEL_DONE = 4         # case <-ctx.Done(): fires at the goroutine's deadline (none: never)
    MAX_SELECT_CASES = 64
    SELCASE_CHANVAL = 256    # a flag of a recv/send case's word a: b is a channel expression
                             # (DSL channel values, sched/expr.pxi); the value source is then
                             # (a >> 4) & 0xF

cdef enum:
    VAL_CONST = 0        # the constant c
    VAL_SPAWN = 1        # the goroutine's spawn index
    VAL_ITER = 2         # the innermost loop iteration
    VAL_REG = 3          # the last value received (G.val)
    VAL_EXPR = 4         # the value of expression c (DSL expressions)

# Expression words (op, arg) of the program's `exprs` array: a stack machine over int64.  A
# channel value is its index + 1 (0: the nil channel).
cdef enum:
    X_END = 0            # arg = the number of values left on the stack (the loader checks it)
    X_CONST = 1          # push arg
    X_LOCAL = 2          # push local slot arg
    X_SPAWN = 3          # push the G's spawn index
    X_ITER = 4           # push the iteration of the enclosing loop at depth arg (0: outermost)
    X_RECV = 5           # push the value last received (G.val)
    X_NEG = 6            # unary: -x
    X_NOT = 7            # !x (0 -> 1, else 0)
    X_BITNOT = 8         # ^x
    X_ADD = 9            # binary, on the two top values (x op y, y on top)
    X_SUB = 10
    X_MUL = 11
    X_DIV = 12           # Go's /: truncated; y == 0 panics
    X_MOD = 13           # Go's %: the sign of x; y == 0 panics
    X_EQ = 14
    X_NE = 15
    X_LT = 16
    X_LE = 17
    X_GT = 18
    X_GE = 19
    X_AND = 20           # &
    X_OR = 21            # |
    X_XOR = 22           # ^
    X_SHL = 23           # <<: a negative count panics, >= 64 gives 0
    X_SHR = 24           # >> (arithmetic)
    EXPR_STACK = 16      # the deepest stack an expression may use
    MAX_LOCALS = 16      # locals (parameters included) of one function

cdef enum DistKind:
    DIST_CONST = 0       # a
    DIST_EXP = 1         # mean a
    DIST_UNIFORM = 2     # [a, b]
    DIST_LOGNORMAL = 3   # exp(N(a, b))

# Event kinds in the heap.
cdef enum EventKind:
    EV_M = 0             # an M's next micro-step
    EV_SAMPLE = 1        # the sampler (schedtrace / time series)
    EV_SYSMON = 2        # sysmon's next tick
    EV_GC = 3            # the GC controller (id: GCEV_*, see sched/stw.pxi)
    EV_UNLOCK = 4        # a contended runtime mutex is released (id: lock id, 0 = sched.lock;
                         # sched/lock.pxi lock_unlock_event)
    EV_ADAPT = 5         # the adaptive GOMAXPROCS controller (id: ADAPTEV_*, sched/adapt.pxi)
    # an EV_M event carries the M's ev_gen in kind >> 4: a bumped generation (async
    # preemption interrupting a compute step) makes the pending event stale

# Trace events (record_trace): what happened to a goroutine, a P or an M, and when.
cdef enum:
    TE_GO_CREATE = 0     # goid created by goroutine `arg` on P p
    TE_GO_START = 1      # goid starts running on P p, M m
    TE_GO_STOP = 2       # goid stops running but stays runnable (Gosched, preemption)
    TE_GO_BLOCK = 3      # goid parks: reason = wait reason
    TE_GO_UNBLOCK = 4    # goid readied by goroutine `arg` (0: by the runtime) on P p
    TE_GO_END = 5        # goid exits
    TE_PROC_START = 6    # M m acquires P p
    TE_PROC_STOP = 7     # M m releases P p
    TE_STEAL = 8         # P p stole `reason` Gs from P `arg`
    TE_SYSCALL = 9       # goid enters a system call on P p, M m
    TE_SYSCALL_END = 10  # goid returns from it: reason 0 with its P (fast path), 1 the P was
                         #     taken while it was in the kernel (EndBlocked)
    TE_PROC_STEAL = 11   # P p taken from M `arg` (in a syscall) by sysmon or a stopper
    TE_STW_BEGIN = 12    # the world starts stopping: reason = STW_* kind, m = stopper (-1: GC)
    TE_STW_END = 13      # the world restarts
    TE_GC_BEGIN = 14     # a GC cycle starts (arg = cycle number)
    TE_GC_END = 15       # ... and ends
    TE_PROCS_CHANGE = 16 # GOMAXPROCS becomes `arg`

cdef enum:  # the kind of a stop-the-world (TE_STW_BEGIN's reason; runtime/proc.go stwReason)
    STW_GC_SWEEPTERM = 1     # GC cycle: the sweep-termination pause
    STW_GC_MARKTERM = 2      # GC cycle: the mark-termination pause
    STW_GOMAXPROCS = 3       # runtime.GOMAXPROCS(n)

ctypedef struct TraceEv:
    int64_t time
    int64_t goid
    int64_t arg
    int32_t kind
    int32_t p
    int32_t m
    int32_t reason

# One sample of the scheduler (what GODEBUG=schedtrace prints, every sample_every cycles).
ctypedef struct SampleRec:
    int64_t time
    int64_t runqsize         # global queue length
    int64_t live             # live user goroutines
    int32_t gomaxprocs
    int32_t npidle
    int32_t threads
    int32_t nmspinning
    int32_t needspinning
    int32_t nmidle
    int32_t gcwaiting
    int32_t stopwait
    # the article's 4.2 metrics (core/observe.pxi), cumulative at the sample: Gs runnable now,
    # M idle and M thread-time, P unparks and their total latency, runnable G-time and the
    # part of it with no idle P (cycles)
    int64_t runnable
    int64_t m_idle_cycles
    int64_t m_cycles
    int64_t p_unparks
    int64_t p_unpark_cycles
    int64_t g_runnable_cycles
    int64_t g_wait_p_cycles

# Micro-steps of an M.  Names follow the Go function (and the step of proc.go findRunnable,
# numbered in source order) whose work the step does.
cdef enum MState:
    MS_PARKED = 0            # stopm: on sched.midle, no event
    MS_LOCKWAIT = 1          # queued on a Lock, no event until hand-off
    MS_LOCK = 2              # acquire sched.lock, then run m.lock_cont
    MS_SCHEDULE = 3          # schedule() top; findRunnable step 4 (schedtick % 61 check)
    MS_FR_FAIR_LOCKED = 4    #   step 4 under the lock: one G from the global queue
    MS_FR_LOCAL = 5          # step 7 runqget: runnext, else load runqhead
    MS_FR_LOCAL_CAS = 6      # step 7 runqget: CAS runqhead
    MS_FR_GLOBAL = 7         # step 8: global queue non-empty?
    MS_FR_GLOBAL_LOCKED = 8  #   step 8 under the lock: globrunqget batch
    MS_FR_SPIN = 9           # step 10: may this M spin?
    MS_STEAL_PASS = 10       # stealWork: start of a pass (cheaprand, coprime order)
    MS_STEAL_VICTIM = 11     # runqgrab: load the victim's runqhead/runqtail
    MS_STEAL_CAS = 12        # runqgrab: CAS the victim's runqhead
    MS_STEAL_RUNNEXT = 13    # runqgrab: CAS the victim's runnext (last pass only)
    MS_FR_IDLE_LOCKED = 14   # step 14 under the lock: last global check, release the P
    MS_FR_DROP = 15          # step 15: drop spinning, re-check global and all runqs
    MS_FR_DROP_LOCKED = 16   #   under the lock: pidlegetSpinning + global batch
    MS_CHECKRUNQS_LOCKED = 17  # checkRunqsNoP under the lock: pidlegetSpinning
    MS_STOPM_LOCKED = 18     # stopm: mput under the lock, then park
    MS_WAKE = 19             # woken by startm: acquirep(nextp), findRunnable again
    MS_EXECUTE = 20          # schedule: resetspinning (+wakep), then execute(gp)
    MS_RUN = 21              # interpret the current G's next instruction
    MS_AFTERPUT = 22         # after runqput: flush the global batch, then wakep, then return
    MS_GLOBPUT_LOCKED = 23   #   globrunqputbatch under the lock
    MS_WAKEP_LOCKED = 24     # wakep: pidlegetSpinning under the lock
    MS_STARTM_LOCKED = 25    # startm: mget under the lock, then wake or create an M
    MS_FR_TOP = 26           # findRunnable: goto top (not a new schedule())
    MS_ARRIVE = 27           # open arrivals: create the arriving G, then inject it
    MS_INJECT_LOCKED = 28    # injectglist without a P: global queue + startIdle, under the lock
    MS_STEAL_PROBE = 29      # runqgrab's retry: probe the same victim again
    MS_CHAN_LOCKED = 30      # chansend / chanrecv / closechan under the channel's lock
    MS_POLL_WAKE = 31        # the M blocked in netpoll until the next timer wakes up
    MS_TIMERS = 32           # findRunnable step 1: run this P's expired timers
    MS_RTLOCK_LOCKED = 33    # a runtime-lock critical section of user code
    MS_PREEMPT = 34          # the preemption signal arrived: gopreempt_m
    MS_SEL_LOCKED = 35       # selectgo: one channel lock granted; lock the next or run the pass
    MS_EXITSYSCALL = 36      # the system call returns: exitsyscall (fast path if the P stayed)
    MS_EXITSYSCALL_LOCKED = 37  # exitsyscallTryGetP / exitsyscallNoP under sched.lock
    MS_POLL_LOCKED = 38      # findRunnable step 16: the blocking netpoll returned; take a P
    MS_GCSTOPM_LOCKED = 39   # findRunnable step 0: gcstopm under sched.lock
    MS_STW_WAIT = 40         # a stopper waiting for the world to stop (no event)
    MS_STW_START = 41        # the world is stopped: procresize, startTheWorld, go on
    MS_LOCKEDM_WAKE = 42     # stoplockedm's end: woken by startlockedm, acquirep(nextp) and
                             #     execute the locked G (sched/lockos.pxi)
    MS_GCWORK = 60           # a GC mark worker on this P: the next chunk of scan work, or stop
                             #   (sched/gc.pxi gc_work_step; numbered apart from other streams)
    MS_GCASSIST = 61         # a mark assist's scan work is over (gc.pxi gc_assist_end)
    MS_SEMA_LOCKED = 70      # a sync.Mutex / RWMutex semaphore's semaRoot lock granted
                             #   (sched/sema.pxi sema_locked; numbered apart from other streams)

# ---------------------------------------------------------------------------------------------
# Cycle costs of scheduler micro-operations (gmpcore.CostModel fills this; see its docstring for
# the source or rationale of each default).
ctypedef struct Costs:
    int64_t schedule         # schedule() top + findRunnable bookkeeping
    int64_t runqget          # one phase of runqget (load, or CAS)
    int64_t runqput
    int64_t globrunq         # a global-queue operation under sched.lock (per batch)
    int64_t globrunq_per_g   # plus per G moved
    int64_t lock             # uncontended lock acquire + release
    int64_t lock_handoff     # hand-off to a spinning waiter
    int64_t futex_wake       # notewakeup -> woken thread running (futex wake latency)
    int64_t newm             # creating a thread (newm -> mstart)
    int64_t execute          # execute + gogo (context switch into the G)
    int64_t newproc          # go statement: newproc1 + runqput
    int64_t goexit           # goexit0 + gfput
    int64_t park             # gopark + park_m
    int64_t ready            # goready
    int64_t wakep
    int64_t steal_probe      # stealWork: look at one victim (load head/tail)
    int64_t steal_per_g      # runqgrab: copy one G pointer
    int64_t steal_cas
    int64_t runnext_backoff  # runqgrab: usleep(3) before taking a running victim's runnext
    int64_t preempt_signal   # preemptM -> the signal handler runs on the target thread
    int64_t spin_pass        # stealWork: start of a pass (cheaprand, order)
    int64_t cache_hit        # cache model: L1 hit
    int64_t cache_local      # line transfer from another core on the same socket
    int64_t cache_remote     # line transfer from another socket
    int64_t cache_mem        # memory (no cached copy anywhere)
    int64_t mark             # recording a mark (user code, ~ a counter increment)
    int64_t wg               # WaitGroup Add/Done/Wait fast path
    int64_t gosched
    int64_t chan             # a channel operation under its lock (send/recv/close)
    int64_t mutex            # sync.Mutex Lock/Unlock fast path
    int64_t mutex_spin       # one runtime_doSpin (procyield(30))
    int64_t entersyscall     # entersyscall + the kernel entry
    int64_t exitsyscall      # exitsyscall fast path (+ the kernel exit)
    int64_t netpoll          # one netpoll(0) call (epoll_wait with a zero timeout)
    int64_t touch            # one user-variable access (plus its cache-model cycles)
    # goroutine footprint (sched/footprint.pxi): newproc1's malg path and cold reuses
    int64_t malg             # a fresh G: malg + stackalloc + first touch of its stack pages
    int64_t g_cold           # a touch of a G whose descriptor and stack left the caches
    int64_t gcache           # Gs (descriptor + stack top) the caches hold (a count)
    # CPU time-sharing (sched/cpu.pxi)
    int64_t ctx_switch       # the OS switching a core to a waiting thread
    int64_t g_move           # a G touched on another core: its lines the cache model does not
                             # keep (the g struct beyond one line, its stack top) move too

# The queue strategy as flat parameters (gmpcore.Strategy fills this).
ctypedef struct Strategy:
    int32_t global_only      # every runnable G goes through the global queue under sched.lock
    int32_t ring_cap         # per-P ring capacity (power of two; Go: 256)
    int32_t use_runnext      # newproc/ready put the G in runnext (Go: yes)
    int32_t steal_passes     # stealWork passes (Go: 4)
    int32_t steal_runnext    # thieves may take runnext on the last pass (Go: yes)
    int32_t fairness_tick    # check the global queue every N schedticks (Go: 61; 0: never)
    int32_t global_batch_max # cap of a global->local refill (Go: ring_cap / 2)
    int32_t steal            # thieves steal at all (Go: yes)
    int32_t local_lifo       # the owner takes its newest G first (ForkJoin deque); Go: FIFO
    int32_t steal_amount     # STEAL_HALF / STEAL_ONE / STEAL_ALL_BUT_ONE / STEAL_BATCH
    int32_t steal_batch      # with STEAL_BATCH: at most this many
    int32_t steal_tail       # thieves take from the victim's tail (newest) instead of its head
    int32_t victim           # VICTIM_* order of victims within a pass
    int32_t spin_pct         # a non-spinning M may spin while nmspinning*100 < spin_pct * busy Ps
    int32_t overflow_batch   # runqputslow: Gs moved from a full ring to the global queue
    int32_t ready            # READY_*: where newproc / goready put the G

cdef enum:
    STEAL_HALF = 0           # n - n/2 (Go)
    STEAL_ONE = 1
    STEAL_ALL_BUT_ONE = 2
    STEAL_BATCH = 3

cdef enum:
    VICTIM_GO = 0            # random start, random stride coprime to nprocs, per pass (Go)
    VICTIM_RANDOM = 1        # an independent random P at every probe
    VICTIM_SEQUENTIAL = 2    # random start, stride 1 (Tokio)
    VICTIM_ROUND_ROBIN = 3   # from the next P id, stride 1
    VICTIM_SAME_SOCKET = 4   # Go's order, Ps whose M shares my socket first

cdef enum:
    READY_RUNNEXT = 0        # the P's runnext (Go), the old runnext to the ring tail
    READY_TAIL = 1           # the P's ring tail
    READY_GLOBAL = 2         # the global queue

# User policy hooks (Numba @cfunc kernels, see gmpcore/kernels.py for the matching signatures).
# A negative return (below the hook's documented range) is an error code: the run stops and
# Python raises gmpcore.KernelError naming the kernel and the code.
ctypedef int32_t (*victim_fn_t)(int32_t thief, int32_t nprocs, int32_t pass_, int32_t i,
                                uint64_t r, const int32_t *coprimes,
                                int32_t ncoprimes) noexcept nogil
ctypedef int32_t (*amount_fn_t)(int32_t victim_len, int32_t thief, int32_t victim,
                                int32_t ring_cap) noexcept nogil
ctypedef int32_t (*ready_fn_t)(int32_t p, int64_t goid, int32_t kind, int32_t runq_len,
                               int32_t runnext_busy) noexcept nogil

# What an adaptive GOMAXPROCS policy reads (sched/adapt.pxi fills it before each call; Python
# sees it as gmpcore.adapt.METRICS_DTYPE).  Names follow Go 1.27 runtime/metrics where Go has
# the metric; times are ns; *_window_* fields cover the time since the previous call.
ctypedef struct AdaptMetrics:
    int64_t now_ns               # emulated time
    int64_t period_ns            # length of the window (time since the previous call)
    int64_t gomaxprocs           # /sched/gomaxprocs:threads
    int64_t max_procs            # the most it may become (the Ps allocated for the run)
    int64_t runnable             # /sched/goroutines/runnable:goroutines (exact: Gs in _Grunnable)
    int64_t runq_global          # sched.runqsize
    int64_t runq_local           # the Ps' rings and runnext slots together
    int64_t goroutines           # /sched/goroutines:goroutines (live user goroutines)
    int64_t npidle               # idle Ps (sched.npidle)
    int64_t nmspinning           # spinning Ms (sched.nmspinning)
    int64_t nmidle               # idle Ms (sched.nmidle)
    int64_t threads              # /sched/threads/total:threads (mcount)
    int64_t gc_cycles            # /gc/cycles/total:gc-cycles
    int64_t gc_pause_last_ns     # the last GC stop-the-world, request to restart
                                 # (MemStats.PauseNs[(NumGC+255)%256]); 0 before the first
    int64_t gc_pause_total_ns    # /sched/pauses/total/gc:seconds summed (MemStats.PauseTotalNs)
    int64_t gc_pause_window_ns   # GC stop-the-world time that ended in the window
    int64_t m_idle_window_ns     # M-time parked idle on sched.midle in the window
    int64_t m_window_ns          # M-time of the scheduler's threads in the window
    int64_t p_unparks_window     # Ps acquired after an idle spell in the window
    int64_t p_unpark_window_ns   # their idle spells (pidleput -> acquirep), summed
    int64_t g_runnable_window_ns # G-time spent runnable in the window
    int64_t g_wait_p_window_ns   # ... of which with no idle P (waiting for a P)
    int64_t changes              # GOMAXPROCS changes the controller made so far

ctypedef int32_t (*gomaxprocs_fn_t)(AdaptMetrics *m) noexcept nogil

cdef enum:
    HOOK_VICTIM = 1
    HOOK_AMOUNT = 2
    HOOK_READY = 3
    HOOK_GOMAXPROCS = 4      # the adaptive GOMAXPROCS controller (sched/adapt.pxi)

# The user kernels of a run, one slot per hook (NULL: the built-in policy).  The Engine fills it
# from gmpcore.Kernel objects and holds them for its lifetime, as numpy's Generator holds the
# BitGenerator whose bitgen_t it calls.
ctypedef struct Kernels:
    victim_fn_t choose_victim
    amount_fn_t steal_amount
    ready_fn_t place_ready
    gomaxprocs_fn_t gomaxprocs   # the adaptive GOMAXPROCS controller (sched/adapt.pxi)

cdef enum:  # Layout (Machine.layout): which scheduler fields share a modelled line
    LAYOUT_GO = 0            # Go's structs (runtime2.go type p, type schedt)
    LAYOUT_PADDED = 1        # every field on a line of its own

# Global counters (gmpcore.Result.summary).
ctypedef struct Counters:
    int64_t goroutines_created
    int64_t goroutines_finished
    int64_t schedules        # calls of schedule()
    int64_t executes
    int64_t executes_inherit # executes that inherited the time slice (runnext)
    int64_t steals
    int64_t stolen_gs
    int64_t steal_attempts
    int64_t steal_cas_fail
    int64_t runnext_steals
    int64_t runqget_cas_fail
    int64_t runnext_puts
    int64_t runnext_kicks    # previous runnext kicked to the ring tail
    int64_t globrunq_puts    # Gs put on the global queue
    int64_t globrunq_gets    # Gs taken from the global queue
    int64_t globrunq_batches # refill batches (findRunnable steps 8/14/15)
    int64_t fairness_gets    # schedtick % 61 picks
    int64_t runqputslow
    int64_t wakep_calls
    int64_t wakep_started
    int64_t startm
    int64_t stopm
    int64_t newm
    int64_t become_spinning  # becomeSpinning calls
    int64_t spinning_cycles
    int64_t idle_cycles      # cycles Ms spent parked (with no P)
    int64_t parks
    int64_t readies
    int64_t gfree_reuse      # Gs reused from a free list
    int64_t lat_count        # scheduling-latency samples
    int64_t lat_sum
    int64_t lat_max
    int64_t max_live         # peak number of live user goroutines
    int64_t cas_attempts     # CAS on runqhead / runnext / nmspinning
    int64_t cas_failures
    int64_t arrivals         # goroutines injected by open arrivals
    int64_t preemptions      # Gs preempted by sysmon (time slice over)
    int64_t sysmon_ticks
    int64_t syscalls         # entersyscall
    int64_t syscall_fast     # exitsyscall kept its P (fast path)
    int64_t syscall_reacquire  # exitsyscall got a P back (its old one, or an idle one)
    int64_t syscall_nop      # exitsyscallNoP: no P, the G went to the global queue
    int64_t syscall_retakes  # Ps sysmon took from Ms in syscalls (retake -> handoffp)
    int64_t handoff_startm   # handoffp started an M for the P
    int64_t netpoll_waits    # goroutines that parked in netpoll ("IO wait")
    int64_t netpoll_ready    # goroutines netpoll returned
    int64_t netpoll_polls    # netpoll calls that returned goroutines
    int64_t stw_count        # stop-the-world phases
    int64_t stw_stop_cycles  # total time from the stop request to the world stopped
    int64_t stw_stop_max
    int64_t stw_pause_cycles # total time the world stayed stopped
    int64_t stw_pause_max
    int64_t gc_cycles        # GC cycles completed
    int64_t touches          # user-variable accesses (OP_TOUCH)
    # lat_sum is kept below 2^62; lat_sum_hi counts its carries (one latency is at most the
    # emulated time, <= 2^62, so a sum of them does not fit an int64): the total is
    # lat_sum_hi * 2^62 + lat_sum (Engine.counters() returns it as one Python int)
    int64_t lat_sum_hi
    int64_t steal_gcwaiting  # stealWork walks that stopped at a victim because gcwaiting was set
    int64_t wake_netpoller   # wakeNetPoller calls: a new timer was the earliest of its P's heap
    # the article's 4.2 metrics (core/observe.pxi) and the GOMAXPROCS controller (adapt.pxi)
    int64_t p_unparks        # acquirep of a P that was idle (pidleput) before
    int64_t p_unpark_cycles  # their idle spells, pidleput -> acquirep, summed
    int64_t p_unpark_max
    int64_t g_runnable_cycles  # G-time spent _Grunnable (the integral of the runnable count)
    int64_t g_wait_p_cycles  # ... while no P was idle: waiting for a P
    int64_t gc_pause_cycles  # GC stop-the-world time, request to restart (no GOMAXPROCS stops)
    int64_t gc_pause_last
    int64_t gomaxprocs_policy_calls    # calls of the controller's kernel
    int64_t gomaxprocs_policy_changes  # GOMAXPROCS changes it asked for and got
    # g_runnable_cycles and g_wait_p_cycles are kept below 2^62 and these count their carries,
    # as lat_sum_hi does (they equal the latency sum, which can pass 2^63): the totals are
    # hi * 2^62 + lo, and Engine.counters() returns the totals under the lo names
    int64_t g_runnable_hi
    int64_t g_wait_p_hi
    int64_t g_fresh          # Gs newproc / arrivals allocated fresh (malg: no free G)
    int64_t g_cold           # G touches charged CostModel.g_cold (footprint.pxi)
    int64_t cpu_switches     # a core handed to a thread waiting for it (sched/cpu.pxi)
    int64_t cpu_slice_ends   # a thread lost its core at the end of its OS time slice
    int64_t cpu_wait_cycles  # total cycles threads waited for a core
    int64_t g_moves          # G touches on another core than its last (footprint.pxi)
    # the GC pacer and its mark workers (sched/gc.pxi; zero unless GC is on)
    int64_t gc_dedicated_cycles   # mark CPU of dedicated workers (gcMarkWorkerDedicatedMode)
    int64_t gc_fractional_cycles  # ... of fractional workers
    int64_t gc_idle_cycles        # ... of idle-priority workers
    int64_t gc_assist_cycles      # ... of mark assists (charged to allocating goroutines)
    int64_t gc_assists            # gcAssistAlloc calls (an allocation in debt during mark)
    int64_t gc_assist_parks       # assists that parked for credit (gcParkAssist)
    int64_t gc_assist_gs          # goroutines charged some assist time
    int64_t gc_assist_g_max       # the most assist cycles charged to one goroutine
    int64_t gc_scan_work          # bytes of scan work done, all cycles
    int64_t gc_worker_runs        # background mark worker runs (dedicated + fractional + idle)
    int64_t gc_safepoint_fns      # forEachP safe-point functions run (one per P per barrier)
    int64_t gc_foreachp_cycles    # forEachP ragged barriers: request to the last P, total
    int64_t gc_foreachp_max
    int64_t gc_heap_goal          # the pacer's heap goal now (bytes)
    int64_t gc_heap_marked        # heapMarked of the last cycle (bytes)
    int64_t gc_heap_live          # heapLive now (bytes)
    # CPU time-sharing, the OS side (sched/cpu.pxi; zero unless procs > Machine.cores)
    int64_t cpu_idle_cycles       # core-time with no thread on the core, summed over cores
    int64_t cpu_unbalanced_cycles # time some core sat idle while a thread waited for a core
    int64_t cpu_migrations        # a thread put on another core than its own: an idle core
                                  # pulled it from a queue, or it woke onto an idle core

cdef enum:
    HIST_SUB_BITS = 5
    HIST_BUCKETS = 1920      # log-linear: 32 sub-buckets per power of two, up to 2^63

cdef enum RunStatus:
    ST_RUNNING = 0
    ST_OK = 1                # main returned
    ST_DEADLOCK = 2          # all goroutines are asleep
    ST_MAX_EVENTS = 3
    ST_MAX_CYCLES = 4
    ST_ERROR = 5             # a program error (e.g. negative WaitGroup counter); see err_code
    ST_INTERRUPTED = 6

cdef enum ErrCode:
    ERR_NONE = 0
    ERR_WG_NEGATIVE = 1      # sync: negative WaitGroup counter
    ERR_NOMEM = 2
    ERR_INVARIANT = 3        # an internal invariant failed (a bug): err_arg says which
    ERR_BAD_PC = 4
    ERR_TOO_MANY_M = 5       # thread exhaustion (sched.maxmcount)
    ERR_KERNEL = 6           # a user kernel returned an error code: err_arg = hook << 32 | code
    ERR_SEND_CLOSED = 7      # panic: send on closed channel
    ERR_CLOSE_CLOSED = 8     # panic: close of closed channel
    ERR_UNLOCK_UNLOCKED = 9  # fatal error: sync: unlock of unlocked mutex
    ERR_RUNLOCK_UNLOCKED = 10    # fatal error: sync: RUnlock of unlocked RWMutex
    ERR_WUNLOCK_UNLOCKED = 11    # fatal error: sync: Unlock of unlocked RWMutex
    ERR_OVERFLOW = 12        # a cycle total would not fit an int64: err_arg = OVF_* (which)
    ERR_MEMLIMIT = 13        # recording buffers reached State.rec_limit: err_arg = which buffer
    ERR_DIVIDE = 14          # panic: runtime error: integer divide by zero (DSL expression)
    ERR_SHIFT = 15           # panic: runtime error: negative shift amount
    ERR_CLOSE_NIL = 16       # panic: close of nil channel
    ERR_BAD_CHAN = 17        # a channel value that is no channel (err_arg: the value)
    ERR_LIVELOCK = 18        # no goroutine progress at one instant for too long (sched/guard.pxi;
                             # err_arg: the events the guard watched)

cdef enum:  # which cycle total overflowed (ERR_OVERFLOW's err_arg; gmpcore.runner names them)
    OVF_IDLE = 1
    OVF_SPINNING = 2
    OVF_LOCK_WAIT = 3
    OVF_LOCK_HOLD = 4
    OVF_MUTEX_WAIT = 5
    OVF_CACHE = 6
    OVF_BUSY = 7
    OVF_RUNNABLE = 8     # p_unpark_cycles or gc_pause_cycles (core/observe.pxi)
    OVF_CPU_WAIT = 9         # Counters.cpu_wait_cycles (sched/cpu.pxi)
    OVF_CPU_IDLE = 10        # Counters.cpu_idle_cycles / cpu_unbalanced_cycles (sched/cpu.pxi)

# ---------------------------------------------------------------------------------------------
# Cache model.  Every piece of shared scheduler state sits on a modelled 64-byte line; a
# directory (owner, sharers) classifies each access as a hit, a transfer from another core on
# the same or another socket, or a memory miss.  Which fields share a line is the layout.
cdef enum:  # LineClass
    LC_P_HEAD = 0        # the line holding runqhead (Go layout: + runqtail + ring[0:7])
    LC_P_TAIL = 1        # runqtail (padded layout only)
    LC_P_RING = 2        # ring slot lines (8 G pointers each)
    LC_P_RUNNEXT = 3     # runnext (Go layout: + ring[255])
    LC_SCHED_LOCK = 4    # sched.lock (Go layout: + goidgen, midle, nmidle)
    LC_SCHED_RUNQ = 5    # sched.runq (Go layout: + pidle, npidle, nmspinning, needspinning)
    LC_SCHED_IDLE = 6    # pidle/npidle (padded layout)
    LC_SCHED_SPIN = 7    # nmspinning/needspinning (padded layout)
    LC_SCHED_MIDLE = 8   # midle/nmidle (padded layout)
    LC_SCHED_GOID = 9    # goidgen (padded layout)
    LC_IDLEPMASK = 10    # idlepMask bitmap
    LC_G = 11            # goroutine descriptors
    LC_USER = 12         # user objects (WaitGroups, sync.Mutex state words)
    LC_CHAN = 13         # channels (hchan: lock and queues)
    NLINECLASSES = 14

# Fields of schedt with a modelled line (Engine.sched_line maps them to lines per layout).
cdef enum:  # SchedField
    SF_LOCK = 0
    SF_RUNQ = 1
    SF_IDLE = 2
    SF_SPIN = 3
    SF_MIDLE = 4
    SF_GOID = 5
    SF_IDLEPMASK = 6
    NSCHEDFIELDS = 7

cdef enum:  # AccessKind
    ACC_READ = 0
    ACC_WRITE = 1
    ACC_RMW = 2          # an atomic read-modify-write (CAS, Xadd, Xchg)

cdef enum:
    MAX_CORES = 256

ctypedef struct Line:
    uint64_t sharers[4]     # cores holding a valid copy (MAX_CORES bits)
    int16_t owner           # core holding it Modified/Exclusive (-1: none, or Shared)
    int16_t nsharers
    int32_t cls             # LineClass

ctypedef struct CacheStats:
    int64_t accesses
    int64_t hits
    int64_t transfers_local     # from another core's cache, same socket
    int64_t transfers_remote    # from another socket
    int64_t mem                 # from memory (no cached copy)
    int64_t invalidations       # copies invalidated by writes
    int64_t cycles              # cycles spent in these accesses

# The configuration of one run: what gmpcore.runner passes to Engine(program, config, kernels)
# as one record of CONFIG_DTYPE (derived from this struct).  Every time is in cycles (Python
# converts ns with gmpcore.config.Machine.cycles); nothing here has a default.
ctypedef struct RunConfig:
    uint64_t seed
    int64_t max_events
    int64_t max_cycles
    int32_t nprocs           # Ps allocated: the most GOMAXPROCS the run ever has
    int32_t gomaxprocs       # GOMAXPROCS when main.main starts
    uint32_t start_schedtick # P0's schedtick when main.main starts
    int32_t init_goroutines  # runtime goroutines runnable in P0's runnext at start
    int32_t maxmcount        # sched.maxmcount
    int32_t record           # record start order, marks and steals
    int32_t cache            # model the caches
    int32_t cores
    int32_t sockets
    int32_t layout           # LAYOUT_*
    int64_t sample_every     # sampler period (0: off)
    int64_t trace_cap        # trace events kept (0: off)
    int64_t trace_from       # trace only in [trace_from, trace_to)
    int64_t trace_to
    int64_t starve_cycles    # sync.Mutex starvationThresholdNs
    int64_t time_slice       # forcePreemptNS (0: no sysmon)
    int64_t sysmon_min       # sysmon's shortest and longest sleep (20 us, 10 ms)
    int64_t sysmon_max
    int64_t gc_period        # periodic GC cycles (0: none)
    int64_t gc_sweepterm
    int64_t gc_markterm
    int64_t gc_mark
    int64_t gc_heap_goal     # bytes allocated that start a GC cycle (0: never)
    int64_t stw_retry        # preemptall retry period while the world stops
    Costs cost
    Strategy strat
    int64_t adapt_every      # the GOMAXPROCS controller's period (0: no controller)
    double clock_ghz         # Machine.clock_ghz: the controller reads ns
    int64_t os_slice         # OS time slice of a thread on a shared core (0: no time-sharing)
    # the GC pacer and mark workers (gmpcore.GC; sched/gc.pxi).  gc_pacer = 0: GC cycles are
    # the pauses above only
    int32_t gc_pacer         # 1: the GOGC pacer starts cycles; mark workers and assists
    int32_t gc_percent       # GOGC (-1: off)
    int64_t gc_heap_minimum  # heapMinimum (bytes; 4 MiB * GOGC/100)
    double gc_scan_rate      # bytes of scan work one worker does per cycle
    int64_t gc_chunk         # bytes a worker scans between two looks at the scheduler
    int32_t gc_workers       # 0: the mark phase takes no CPU (pauses-only baseline)
    int32_t gc_assists       # 1: mark assists
    int64_t gc_roots         # bytes of roots (stacks, globals) every cycle scans

# The GC pacer and its mark workers (sched/gc.pxi, following runtime/mgcpacer.go
# gcControllerState, mgc.go gcBgMarkWorker, mgcmark.go gcAssistAlloc, proc.go forEachP).  All
# zero unless the run has the pacer on (RunConfig.gc_pacer).
ctypedef struct GCP:
    int64_t frac_time        # p.gcFractionalMarkTime (cycles, this cycle)
    int64_t start            # p.gcMarkWorkerStartTime
    int64_t chunk            # scan work of the worker's chunk in flight (0: none)
    uint8_t mode             # p.gcMarkWorkerMode of the worker running here (GCW_*)
    uint8_t next             # p.nextGCMarkWorker: a worker assigned, run at the next findRunnable
    uint8_t safepoint        # p.runSafePointFn
    uint8_t kicked           # a dedicated worker's run queue went to the global queue

ctypedef struct GCState:
    int32_t on               # the pacer runs this program's GC
    int32_t workers          # mark workers and assists take CPU
    int32_t assists
    int32_t percent          # GOGC (-1: off)
    int32_t blacken          # gcBlackenEnabled
    int32_t dedicated_needed # dedicatedMarkWorkersNeeded
    int32_t idle_n           # idleMarkWorkers: running, and the most allowed
    int32_t idle_max
    int32_t inflight         # chunks of scan work being done (workers' and assists')
    int32_t marking_done     # gcMarkDone has started (forEachP, then mark termination)
    int32_t fep_wait         # sched.safePointWait
    int32_t assistq_head     # work.assistQueue (parked assists, linked by G.schedlink)
    int32_t assistq_tail
    int32_t gcap             # G slots the per-G tables cover
    double frac_goal         # fractionalUtilizationGoal
    double scan_rate         # bytes of scan work per cycle per worker
    double awpb              # assistWorkPerByte
    double abpw              # assistBytesPerWork
    double cons_mark         # consMark and its history
    double last_cons_mark[4]
    int64_t chunk            # bytes per worker chunk
    int64_t heap_minimum
    int64_t roots            # stackScan + globalsScan: root bytes every cycle scans
    int64_t heap_live        # heapLive: marked + allocated since
    int64_t heap_scan        # heapScan: scannable heap (all bytes are scannable here)
    int64_t heap_marked      # heapMarked
    int64_t last_heap_scan   # lastHeapScan: the last cycle's scan work
    int64_t pct_goal         # gcPercentHeapGoal
    int64_t sweep_dist       # sweepDistMinTrigger
    int64_t runway
    int64_t trigger          # heapLive that starts the next cycle
    int64_t triggered        # heapLive when this cycle started (INT64_MAX: none)
    int64_t reach            # bytes reachable now: kept + owned by live goroutines
    int64_t kept             # bytes kept reachable by globals (alloc keep=True, free)
    int64_t reach_start      # reach when the cycle started (the snapshot marked)
    int64_t alloc_black      # bytes allocated during mark (allocated black)
    int64_t work_left        # scan work of this cycle not yet taken by a worker or an assist
    int64_t work_done        # heapScanWork of this cycle
    int64_t bg_credit        # bgScanCredit
    int64_t mark_start       # markStartTime
    int64_t assist_time      # this cycle's assist, idle cycles (endCycle's utilization)
    int64_t idle_time
    int64_t fep_start        # when the forEachP barrier started
    GCP *p                   # per P (nprocs)
    int64_t *gbytes          # per G slot: bytes its allocations keep reachable while it lives
    int64_t *credit          # per G slot: gcAssistBytes
    int64_t *gwork           # per G slot: the scan work of its assist in flight
    int64_t *gassist         # per G slot: assist cycles charged to the goroutine running there
    int64_t assist_hist[1920]    # assist cycles per exited goroutine, log-bucketed as hist

# The whole engine state.  Python owns it through the Engine class; native code sees only this.
cdef enum:
    G_CHUNK_BITS = 16        # Gs live in chunks of 65536 that never move (no realloc copies)
    G_CHUNK = 65536

# stealWork's walk with many idle Ps (sched/steal.pxi next_victim_skip), one per P: which steps
# of a pass (from its start pos0, stride inc, over n Ps) land on a non-idle P other than this
# one, valid while sched.idlepMask equals the copy `mask` it was computed from.
ctypedef struct StealCache:
    int32_t n               # GOMAXPROCS of the pass (0: empty)
    int32_t pos0            # the pass's first position
    int32_t inc             # its stride
    int32_t dme             # the step at which the walk passes this P
    uint64_t mask[16]       # idlepMask when `steps` was computed
    uint64_t steps[16]      # bit d: step d of the pass is a non-idle P other than this one


ctypedef struct State:
    int64_t now              # current cycle
    int64_t seq              # event sequence number (tie-break)
    int64_t events           # micro-steps executed
    int64_t max_events
    int64_t max_cycles
    int32_t status           # RunStatus
    int32_t err_code
    int64_t err_arg
    uint64_t rng             # engine RNG state (splitmix64); the only source of randomness

    Sched sched
    Lock schedlock
    Strategy strat
    Costs cost
    Counters c

    P *allp
    PStats *pstats
    int32_t nprocs
    int32_t *runq_buf        # nprocs * ring_cap G indexes
    uint32_t ring_mask
    int32_t *coprimes        # randomOrder.reset(nprocs)
    int32_t ncoprimes
    uint64_t idlepMask[16]   # sched.idlepMask: bit pi set while P pi is idle (pp.idle), for
                             # the victim walk to skip idle Ps without visiting them (1024 Ps)

    M *allm
    int32_t mcap
    int32_t maxmcount

    G **gchunks
    int32_t ngchunks
    int32_t gchunks_cap
    int32_t nallg            # G slots ever allocated (len(allgs))
    int32_t maing            # index of the main goroutine

    Event *heap
    int64_t heap_n
    int64_t heap_cap

    # cache model
    int32_t cache_on
    int32_t ncores
    int32_t cores_per_socket
    Line *lines
    int32_t nlines
    int32_t lines_per_p
    int32_t slot_shift       # line of slot s = line_base + slot_base + ((s + slot_shift) >> 3)
    int32_t slot_base
    int32_t tail_line        # offset of runqtail's line within a P's lines
    int32_t runnext_line
    int32_t sched_line[7]    # SchedField -> line
    int32_t wg_line0         # first WaitGroup line
    uint64_t socket_mask[8][4]   # cores of each socket (at most 8 sockets)
    int64_t step_acc         # cycles of the accesses made by the current micro-step
    CacheStats cstats[14]
    int64_t *core_hit        # per core: hits, misses (accesses: their sum)
    int64_t *core_miss

    # open arrivals: goroutines injected from outside the Ps (like netpoll results)
    int32_t arr_fn           # function the arriving goroutines run (-1: none)
    int32_t arr_dist         # inter-arrival distribution
    int64_t arr_left         # arrivals still to come
    int32_t arr_m            # the injecting thread (an M without a P)

    # sampler and trace
    int64_t sample_every     # cycles between samples (0: off)
    SampleRec *samples
    int32_t *sample_runq     # nprocs per sample: runqtail - runqhead (runnext excluded)
    uint32_t *sample_ticks   # nprocs per sample: schedtick
    int64_t nsamples
    int64_t samples_cap
    TraceEv *trace
    int64_t ntrace
    int64_t trace_alloc
    int64_t trace_cap        # at most this many events are kept (0: off)
    int64_t trace_from       # only events in [trace_from, trace_to) cycles
    int64_t trace_to
    int64_t trace_lost       # events not kept (over the cap)
    int32_t pause_on_sample  # return from the loop after each sample (scheddetail snapshots)

    Kernels kern             # user kernels (NULL: built-in policy)

    # program
    const int32_t *code
    int32_t ncode
    const int32_t *func_entry
    int32_t nfuncs
    const int32_t *dist_kind
    const double *dist_a
    const double *dist_b
    int32_t ndists
    WaitGroup *wgs
    int32_t nwgs
    Chan *chans
    int32_t nchans
    Sudog *sudogs            # sudog table (grows; indexes, never pointers, are kept)
    int32_t nsudogs          # slots ever used
    int32_t sudogs_cap
    int32_t sudog_free       # free list through Sudog.next
    Mutex *mutexes
    int32_t nmutexes
    RWMutex *rwmutexes
    int32_t nrwmutexes
    int32_t rw_line0         # first RWMutex line
    Lock *locks              # locks[0] is unused (sched.lock lives in schedlock); channels' after
    int32_t nlocks
    int32_t rtlock0          # first runtime lock (user-declared) in `locks`
    int32_t chan_line0       # first channel lock line
    int32_t mutex_line0
    # timers: one binary heap per P of (when, G index), as p.timers
    int64_t **timer_when
    int32_t **timer_g
    int32_t *ntimers
    int64_t ntimers_all      # sum of ntimers (0: no timer anywhere, none can be due)
    int32_t *timers_cap
    int64_t starve_cycles    # sync.Mutex starvation threshold (1 ms) in cycles
    int32_t sysmon_m         # sysmon's M (-1: no sysmon)
    int32_t sysmonwait       # sched.sysmonwait: sysmon in its deep sleep
    int32_t sysmon_gen       # generation of sysmon's pending tick (a wake-up supersedes it)
    int32_t sysmon_resume    # the next tick continues an iteration after the deep sleep
    int32_t sysmon_idle
    int64_t sysmon_delay     # cycles
    int64_t sysmon_min       # 20 us in cycles
    int64_t sysmon_max       # 10 ms in cycles
    int64_t time_slice       # forcePreemptNS in cycles
    int32_t bg_events        # events in the heap that keep nothing alive (sampler, sysmon)
    int32_t poller           # M blocked in netpoll until the next timer (-1: none)
    int64_t poll_until
    int64_t lastpoll         # sched.lastpoll: when netpoll last ran (0 while an M blocks in it)
    int32_t netpoll_waiters  # goroutines parked in netpoll (netpollWaiters)
    int32_t netpoll_hp       # index of the netpoll heap in the timer arrays (= nprocs)
    # stop-the-world and the GC controller
    int32_t gcwaiting        # sched.gcwaiting
    int32_t stopwait         # sched.stopwait
    int32_t stw_kind         # STW_* of the stop in progress
    int32_t stw_m            # the stopping M (-1: the GC controller)
    int64_t stw_start
    int64_t stw_stopped_at
    int64_t stw_retry        # preemptall retry period while stopping (100 us)
    int32_t newprocs         # GOMAXPROCS after the stop
    int32_t gc_m             # the GC controller's thread (-1: none)
    int32_t gc_running       # a GC cycle is in progress
    int64_t gc_period        # cycles between periodic GC cycles (0: none)
    int64_t gc_sweepterm     # the two stop-the-world pauses of a cycle, and the concurrent
    int64_t gc_markterm      #   mark phase between them
    int64_t gc_mark
    int64_t gc_heap_goal     # bytes allocated (OP_ALLOC) that trigger a cycle (0: never)
    int64_t heap_live
    int32_t gcsema_head      # Gs waiting for the GC cycle in progress (linked by schedlink)
    int32_t gcsema_tail
    # context deadlines (OP_WITH_TIMEOUT): a side table by G index, only for programs that
    # use them (0: no deadline) -- it keeps the G record small for everyone else
    int64_t *deadlines
    int32_t deadlines_cap    # 0: the program has no deadlines
    # user variables (OP_TOUCH): first line of each, and whether it is per-P and padded
    int32_t *var_line
    int32_t *var_kind        # VAR_*
    int32_t nvars

    # observation
    int64_t *hist            # HIST_BUCKETS scheduling-latency buckets (cycles)
    int32_t record
    int64_t *start_order
    int64_t nstart
    int64_t start_cap
    MarkRec *marks
    int64_t nmarks
    int64_t marks_cap
    StealRec *steals
    int64_t nsteals
    int64_t steals_cap
    # bytes held by the buffers that grow while the run records (start order, marks, steals,
    # samples); growing past rec_limit stops the run with ERR_MEMLIMIT (gmpcore.guard sets
    # the limit from the run's memory budget; 0: no limit)
    int64_t rec_bytes
    int64_t rec_limit
    int64_t gc_executes      # executes when the last periodic GC cycle was due (stw.pxi)
    # per-G side tables of the fields blocking operations use (the G record stays 64 bytes),
    # by G index, each allocated the first time a non-zero value is stored (NULL: all zero)
    # and grown with the G slots (allocg); cleared when a G dies (gfput)
    int64_t *g_val           # G.val: the value last received (or being sent) on a channel
    int64_t *g_wait          # G.wait_start: sync.Mutex wait start (starvation after 1 ms);
                             # select: the timeout's cycle while parked, the case won once
                             # woken; a preempted compute (G_FLAG_RESUME): the cycles left
    int32_t *g_loophi        # loop counters past G_LOOPS_INLINE, MAX_LOOP_DEPTH -
                             # G_LOOPS_INLINE per G
    int64_t gside_cap        # G slots the allocated side tables hold (0: none allocated)
    uint8_t core_socket[MAX_CORES]  # socket of each core (socket_of without a division)
    # the article's 4.2 metrics (core/observe.pxi)
    int64_t nrunnable        # Gs in _Grunnable now
    int64_t runnable_at      # cycle g_runnable_cycles / g_wait_p_cycles are integrated up to
    int64_t unpark_hist[1920]    # P unpark latencies, log-bucketed as hist (HIST_BUCKETS)
    # the adaptive GOMAXPROCS controller (sched/adapt.pxi)
    int64_t adapt_every      # its period in cycles (0: off)
    double clock_ghz
    int32_t adapt_newprocs   # a change waiting for the GC cycle or a stop in progress (0: none)
    int32_t adapt_state      # ADAPT_IDLE / ADAPT_WAITING (a retry is due) / ADAPT_STOPPING
    # the cumulative figures at the previous call (a window is the difference), in cycles
    int64_t adapt_prev_now
    int64_t adapt_prev_gcpause
    int64_t adapt_prev_midle
    int64_t adapt_prev_mcycles
    int64_t adapt_prev_unparks
    int64_t adapt_prev_unpark
    int64_t adapt_prev_runnable
    int64_t adapt_prev_waitp
    int64_t gc_pause_acc     # this GC cycle's stop-the-world time so far (work.pauseNS)
    # CPU time-sharing (sched/cpu.pxi): Ms holding Ps beyond the cores queue for them.
    # Per-core and per-M side tables, allocated only when cpu_on (procs > cores)
    int32_t cpu_on
    int32_t cpu_sleep        # the step just run blocks its thread in the kernel (syscall, usleep)
    int64_t os_slice         # cycles a thread keeps a shared core while others wait
    int32_t *core_owner      # per core: the thread running on it (-1: none)
    int32_t *core_qhead      # per core: FIFO of threads waiting for it (through m_cpu_next)
    int32_t *core_qtail
    int32_t *core_qlen
    int64_t *core_slice_end  # per core: when its owner's slice ends
    int32_t *m_core          # per M: the core it owns (-1: none)
    int32_t *m_cpu_next
    int64_t *m_cpu_owed      # per M: CPU cycles of its current step still to run
    int64_t *m_cpu_since     # per M: when it started waiting for a core
    # the goroutine footprint (sched/footprint.pxi): Gs created so far, and per G index that
    # count at its last touch (allocated on use, only when CostModel.g_cold > 0)
    int64_t g_touches
    int64_t *g_touched_at
    int32_t g_touched_cap
    # DSL values (pyx/sched/expr.pxi): the expression words, and each G's frame of `nlocals`
    # int64 locals in a side table by G index (only for programs with locals: it keeps the G
    # record small for everyone else); channels made at run time (OP_MAKECHAN) grow chans,
    # locks and lines, so their capacities are kept
    const int32_t *exprs
    int32_t nexprs           # words
    int32_t nlocals          # locals per G (0: the program has none)
    int64_t *locals
    int32_t locals_cap       # Gs the locals table holds
    int32_t chans_cap
    int32_t locks_cap
    int32_t lines_cap
    int32_t nchans_static    # the channels declared with Program.chan
    # sync.Pool, sync.Cond, contexts, LockOSThread (sched/pool.pxi, cond.pxi, ctx.pxi,
    # lockos.pxi)
    Pool *pools
    int32_t npools
    int32_t pool_line0       # first line of the pools (cache/layout.pxi)
    Cond *conds
    int32_t nconds
    int32_t cond_line0
    Ctx *ctxs
    int32_t nctxs
    GSync *gsync             # by G index (NULL: the program uses no Cond / LockOSThread)
    int32_t gsync_cap
    int64_t lockedm_exits    # threads that exited with their G locked (goexit0 -> mexit)
    int64_t lockedm_handoffs # startlockedm hand-offs of a P to a locked M
    int64_t syscall_block    # entersyscallblock calls
    GCState gcs              # the GC pacer, mark workers, assists, forEachP (sched/gc.pxi)
    # the livelock guard and the periodic invariant check (sched/guard.pxi)
    int64_t guard_next       # s.events at the guard's next look (0: not started)
    int64_t guard_now        # emulated time at its last look
    int64_t guard_sig        # goroutine-progress signature at its last look
    int64_t guard_since      # s.events when the current instant without progress began
    int64_t guard_verify_end # > 0: watching every event until this count
    int64_t inv_next         # s.events at the next check_invariants (check_every)
    # stealWork's walk (sched/steal.pxi): the fastmod constant of steal_fm_n (2^64 / n + 1)
    uint64_t steal_fm
    int32_t steal_fm_n       # the GOMAXPROCS steal_fm is for (0: none yet)
    StealCache *steal_cache  # per P, allocated at the first next_victim_skip (NULL: none)
    # CPU time-sharing accounting (sched/cpu.pxi cpu_account): the state integrated since
    int64_t cpu_acct_t       # when the core state last changed
    int32_t cpu_nidle        # cores without a thread then
    int32_t cpu_unbal        # 1: then some core was idle while a thread waited for a core
