# What Python reads of the engine: numpy dtypes derived from the C structs (one layout, never
# written twice) and the tables of enum values and names.
# Provides module-level constants of gmpcore._engine; uses only _types.pxd.

cdef G _g_dummy
cdef P _p_dummy
cdef M _m_dummy
cdef MarkRec _mark_dummy
cdef StealRec _steal_dummy
cdef PStats _pstats_dummy
cdef SampleRec _sample_dummy
cdef TraceEv _trace_dummy
G_DTYPE = np.asarray(<G[:1]> (&_g_dummy)).dtype
P_DTYPE = np.asarray(<P[:1]> (&_p_dummy)).dtype
M_DTYPE = np.asarray(<M[:1]> (&_m_dummy)).dtype
MARK_DTYPE = np.asarray(<MarkRec[:1]> (&_mark_dummy)).dtype
STEAL_DTYPE = np.asarray(<StealRec[:1]> (&_steal_dummy)).dtype
PSTATS_DTYPE = np.asarray(<PStats[:1]> (&_pstats_dummy)).dtype
SAMPLE_DTYPE = np.asarray(<SampleRec[:1]> (&_sample_dummy)).dtype
TRACE_DTYPE = np.asarray(<TraceEv[:1]> (&_trace_dummy)).dtype
STOP_REASONS = {0: "unspecified", 1: "runtime.Gosched", 2: "preempted", 3: "preempted"}
TRACE_KINDS = {TE_GO_CREATE: "GoCreate", TE_GO_START: "GoStart", TE_GO_STOP: "GoStop",
               TE_GO_BLOCK: "GoBlock", TE_GO_UNBLOCK: "GoUnblock", TE_GO_END: "GoEnd",
               TE_PROC_START: "ProcStart", TE_PROC_STOP: "ProcStop", TE_STEAL: "Steal",
               TE_SYSCALL: "GoSyscallBegin", TE_SYSCALL_END: "GoSyscallEnd",
               TE_PROC_STEAL: "ProcSteal", TE_STW_BEGIN: "STWBegin", TE_STW_END: "STWEnd",
               TE_GC_BEGIN: "GCBegin", TE_GC_END: "GCEnd", TE_PROCS_CHANGE: "ProcsChange"}
STW_KINDS = {1: "GC sweep termination", 2: "GC mark termination", 3: "GOMAXPROCS"}
WAIT_REASONS = {waitReasonZero: "", waitReasonSyncWaitGroupWait: "sync.WaitGroup.Wait",
                waitReasonFinalizerWait: "finalizer wait", waitReasonChanSend: "chan send",
                waitReasonChanReceive: "chan receive", waitReasonSyncMutexLock: "sync.Mutex.Lock",
                waitReasonSleep: "sleep", waitReasonSelect: "select",
                waitReasonChanSendNilChan: "chan send (nil chan)", waitReasonIOWait: "IO wait",
                waitReasonSyscall: "syscall", waitReasonSemacquire: "semacquire",
                waitReasonSyncRWMutexRLock: "sync.RWMutex.RLock",
                waitReasonSyncRWMutexLock: "sync.RWMutex.Lock"}
STATUS_NAMES = {ST_RUNNING: "running", ST_OK: "ok", ST_DEADLOCK: "deadlock",
                ST_MAX_EVENTS: "max_events", ST_MAX_CYCLES: "max_cycles", ST_ERROR: "error",
                ST_INTERRUPTED: "interrupted"}
ERROR_NAMES = {ERR_NONE: "", ERR_WG_NEGATIVE: "sync: negative WaitGroup counter",
               ERR_NOMEM: "out of memory", ERR_INVARIANT: "internal invariant violated",
               ERR_BAD_PC: "bad program counter", ERR_TOO_MANY_M: "thread exhaustion",
               ERR_KERNEL: "kernel error", ERR_SEND_CLOSED: "send on closed channel",
               ERR_CLOSE_CLOSED: "close of closed channel",
               ERR_UNLOCK_UNLOCKED: "sync: unlock of unlocked mutex",
               ERR_RUNLOCK_UNLOCKED: "sync: RUnlock of unlocked RWMutex",
               ERR_WUNLOCK_UNLOCKED: "sync: Unlock of unlocked RWMutex"}
HOOK_NAMES = {HOOK_VICTIM: "choose_victim", HOOK_AMOUNT: "steal_amount", HOOK_READY: "place_ready"}
HIST_NBUCKETS = HIST_BUCKETS
LINE_CLASSES = ["p.runqhead", "p.runqtail", "p.runq", "p.runnext", "sched.lock", "sched.runq",
                "sched.pidle", "sched.nmspinning", "sched.midle", "sched.goidgen", "idlepMask",
                "g", "user", "chan"]
OPCODES = {"EXIT": OP_EXIT, "COMPUTE": OP_COMPUTE, "GO": OP_GO, "WG_ADD": OP_WG_ADD,
           "WG_WAIT": OP_WG_WAIT, "MARK": OP_MARK, "LOOP": OP_LOOP, "ENDLOOP": OP_ENDLOOP,
           "GOSCHED": OP_GOSCHED, "SYSPARK": OP_SYSPARK, "CHAN_SEND": OP_CHAN_SEND,
           "CHAN_RECV": OP_CHAN_RECV, "CHAN_CLOSE": OP_CHAN_CLOSE, "JMP": OP_JMP,
           "LOCK": OP_LOCK, "UNLOCK": OP_UNLOCK, "SLEEP": OP_SLEEP, "RTLOCK": OP_RTLOCK,
           "SELECT": OP_SELECT, "SELCASE": OP_SELCASE, "SYSCALL": OP_SYSCALL,
           "NETWAIT": OP_NETWAIT, "TOUCH": OP_TOUCH, "GOMAXPROCS": OP_GOMAXPROCS, "ALLOC": OP_ALLOC,
           "WITH_TIMEOUT": OP_WITH_TIMEOUT, "RLOCK": OP_RLOCK, "RUNLOCK": OP_RUNLOCK,
           "WLOCK": OP_WLOCK, "WUNLOCK": OP_WUNLOCK}
SELECT_KINDS = {"recv": SEL_RECV, "send": SEL_SEND, "after": SEL_AFTER, "default": SEL_DEFAULT,
                "done": SEL_DONE}
MAXSELECTCASES = MAX_SELECT_CASES
VALUE_SOURCES = {"const": VAL_CONST, "spawn": VAL_SPAWN, "iter": VAL_ITER, "val": VAL_REG}
DISTS = {"const": DIST_CONST, "exp": DIST_EXP, "uniform": DIST_UNIFORM,
         "lognormal": DIST_LOGNORMAL}
INSTR = INSTR_WIDTH
MAXLOOPDEPTH = MAX_LOOP_DEPTH
