# What Python reads of the engine: numpy dtypes derived from the C structs (one layout, never
# written twice), every enum of _types.pxd by its C name (ENUMS), and the tables Python derives
# from them (Go's names for Go's things: _Gwaiting, waitReasonChanReceive, ...).
# Provides module-level constants of gmpcore._engine; uses only _types.pxd.
# tests/test_boundary.py pins ENUMS against _types.pxd: a new enum member must be added here.

cdef G _g_dummy
cdef P _p_dummy
cdef M _m_dummy
cdef MarkRec _mark_dummy
cdef StealRec _steal_dummy
cdef PStats _pstats_dummy
cdef SampleRec _sample_dummy
cdef TraceEv _trace_dummy
cdef Counters _counters_dummy
cdef CacheStats _cachestats_dummy
cdef RunConfig _config_dummy
cdef AdaptMetrics _adapt_dummy
G_DTYPE = np.asarray(<G[:1]> (&_g_dummy)).dtype
P_DTYPE = np.asarray(<P[:1]> (&_p_dummy)).dtype
M_DTYPE = np.asarray(<M[:1]> (&_m_dummy)).dtype
MARK_DTYPE = np.asarray(<MarkRec[:1]> (&_mark_dummy)).dtype
STEAL_DTYPE = np.asarray(<StealRec[:1]> (&_steal_dummy)).dtype
PSTATS_DTYPE = np.asarray(<PStats[:1]> (&_pstats_dummy)).dtype
SAMPLE_DTYPE = np.asarray(<SampleRec[:1]> (&_sample_dummy)).dtype
TRACE_DTYPE = np.asarray(<TraceEv[:1]> (&_trace_dummy)).dtype
#: the global counters (struct Counters): Result.summary reports every field by this name
COUNTERS_DTYPE = np.asarray(<Counters[:1]> (&_counters_dummy)).dtype
CACHESTATS_DTYPE = np.asarray(<CacheStats[:1]> (&_cachestats_dummy)).dtype
#: one run's configuration (struct RunConfig, with its Costs and Strategy): Engine's `config`
CONFIG_DTYPE = np.asarray(<RunConfig[:1]> (&_config_dummy)).dtype
#: what an adaptive GOMAXPROCS kernel reads (struct AdaptMetrics; gmpcore.adapt)
ADAPT_DTYPE = np.asarray(<AdaptMetrics[:1]> (&_adapt_dummy)).dtype
G_RECORD_BYTES = sizeof(G)
TRACE_EVENT_BYTES = sizeof(TraceEv)
MARK_BYTES = sizeof(MarkRec)
SAMPLE_RECORD_BYTES = sizeof(SampleRec)
P_RECORD_BYTES = sizeof(P)
M_RECORD_BYTES = sizeof(M)

#: every enum member of _types.pxd, by its C name
ENUMS = {"_Gidle": _Gidle, "_Grunnable": _Grunnable, "_Grunning": _Grunning,
         "_Gsyscall": _Gsyscall, "_Gwaiting": _Gwaiting, "_Gdead": _Gdead, "_Pidle": _Pidle,
         "_Prunning": _Prunning, "_Psyscall": _Psyscall, "_Pgcstop": _Pgcstop, "_Pdead": _Pdead,
         "waitReasonZero": waitReasonZero,
         "waitReasonSyncWaitGroupWait": waitReasonSyncWaitGroupWait,
         "waitReasonFinalizerWait": waitReasonFinalizerWait,
         "waitReasonChanSend": waitReasonChanSend, "waitReasonChanReceive": waitReasonChanReceive,
         "waitReasonSyncMutexLock": waitReasonSyncMutexLock, "waitReasonSleep": waitReasonSleep,
         "waitReasonSelect": waitReasonSelect,
         "waitReasonChanSendNilChan": waitReasonChanSendNilChan,
         "waitReasonIOWait": waitReasonIOWait, "waitReasonSyscall": waitReasonSyscall,
         "waitReasonSemacquire": waitReasonSemacquire,
         "waitReasonSyncRWMutexRLock": waitReasonSyncRWMutexRLock,
         "waitReasonSyncRWMutexLock": waitReasonSyncRWMutexLock, "MAX_LOOP_DEPTH": MAX_LOOP_DEPTH,
         "G_LOOPS_INLINE": G_LOOPS_INLINE, "waitReasonSyncCondWait": waitReasonSyncCondWait,
         "waitReasonGCAssistWait": waitReasonGCAssistWait,
         "G_FLAG_SYSTEM": G_FLAG_SYSTEM, "G_FLAG_STARTED": G_FLAG_STARTED,
         "G_FLAG_CLOSED": G_FLAG_CLOSED, "G_FLAG_HANDOFF": G_FLAG_HANDOFF,
         "G_FLAG_RESUME": G_FLAG_RESUME, "G_FLAG_PREEMPT": G_FLAG_PREEMPT,
         "G_FLAG_SELWOKE": G_FLAG_SELWOKE, "G_FLAG_SEMRETRY": G_FLAG_SEMRETRY,
         "G_FLAG_SEMALIFO": G_FLAG_SEMALIFO,
         "INSTR_WIDTH": INSTR_WIDTH, "OP_EXIT": OP_EXIT, "OP_COMPUTE": OP_COMPUTE, "OP_GO": OP_GO,
         "OP_WG_ADD": OP_WG_ADD, "OP_WG_WAIT": OP_WG_WAIT, "OP_MARK": OP_MARK, "OP_LOOP": OP_LOOP,
         "OP_ENDLOOP": OP_ENDLOOP, "OP_GOSCHED": OP_GOSCHED, "OP_SYSPARK": OP_SYSPARK,
         "OP_CHAN_SEND": OP_CHAN_SEND, "OP_CHAN_RECV": OP_CHAN_RECV,
         "OP_CHAN_CLOSE": OP_CHAN_CLOSE, "OP_JMP": OP_JMP, "OP_LOCK": OP_LOCK,
         "OP_UNLOCK": OP_UNLOCK, "OP_SLEEP": OP_SLEEP, "OP_RTLOCK": OP_RTLOCK,
         "OP_SELECT": OP_SELECT, "OP_SELCASE": OP_SELCASE, "OP_SYSCALL": OP_SYSCALL,
         "OP_NETWAIT": OP_NETWAIT, "OP_TOUCH": OP_TOUCH, "OP_GOMAXPROCS": OP_GOMAXPROCS,
         "OP_ALLOC": OP_ALLOC, "OP_RLOCK": OP_RLOCK, "OP_RUNLOCK": OP_RUNLOCK,
         "OP_WLOCK": OP_WLOCK, "OP_WUNLOCK": OP_WUNLOCK, "OP_WITH_TIMEOUT": OP_WITH_TIMEOUT,
         "OP_POOL_PUT": OP_POOL_PUT, "OP_POOL_GET": OP_POOL_GET, "OP_COND_ADD": OP_COND_ADD,
         "OP_COND_WAIT": OP_COND_WAIT, "OP_COND_SIGNAL": OP_COND_SIGNAL,
         "OP_COND_BROADCAST": OP_COND_BROADCAST, "OP_CANCEL": OP_CANCEL,
         "OP_LOCKOSTHREAD": OP_LOCKOSTHREAD, "OP_UNLOCKOSTHREAD": OP_UNLOCKOSTHREAD,
         "OP_SYSCALL_BLOCK": OP_SYSCALL_BLOCK,
         "VAR_SHARED": VAR_SHARED, "VAR_PER_P": VAR_PER_P, "VAR_PER_P_PADDED": VAR_PER_P_PADDED,
         "SEL_RECV": SEL_RECV, "SEL_SEND": SEL_SEND, "SEL_AFTER": SEL_AFTER,
         "SEL_DEFAULT": SEL_DEFAULT, "SEL_DONE": SEL_DONE, "MAX_SELECT_CASES": MAX_SELECT_CASES,
         "VAL_CONST": VAL_CONST, "VAL_SPAWN": VAL_SPAWN, "VAL_ITER": VAL_ITER, "VAL_REG": VAL_REG,
         "DIST_CONST": DIST_CONST, "DIST_EXP": DIST_EXP, "DIST_UNIFORM": DIST_UNIFORM,
         "DIST_LOGNORMAL": DIST_LOGNORMAL, "EV_M": EV_M, "EV_SAMPLE": EV_SAMPLE,
         "EV_SYSMON": EV_SYSMON, "EV_GC": EV_GC, "TE_GO_CREATE": TE_GO_CREATE,
         "TE_GO_START": TE_GO_START, "TE_GO_STOP": TE_GO_STOP, "TE_GO_BLOCK": TE_GO_BLOCK,
         "TE_GO_UNBLOCK": TE_GO_UNBLOCK, "TE_GO_END": TE_GO_END, "TE_PROC_START": TE_PROC_START,
         "TE_PROC_STOP": TE_PROC_STOP, "TE_STEAL": TE_STEAL, "TE_SYSCALL": TE_SYSCALL,
         "TE_SYSCALL_END": TE_SYSCALL_END, "TE_PROC_STEAL": TE_PROC_STEAL,
         "TE_STW_BEGIN": TE_STW_BEGIN, "TE_STW_END": TE_STW_END, "TE_GC_BEGIN": TE_GC_BEGIN,
         "TE_GC_END": TE_GC_END, "TE_PROCS_CHANGE": TE_PROCS_CHANGE,
         "STW_GC_SWEEPTERM": STW_GC_SWEEPTERM, "STW_GC_MARKTERM": STW_GC_MARKTERM,
         "STW_GOMAXPROCS": STW_GOMAXPROCS, "MS_PARKED": MS_PARKED, "MS_LOCKWAIT": MS_LOCKWAIT,
         "MS_LOCK": MS_LOCK, "MS_SCHEDULE": MS_SCHEDULE, "MS_FR_FAIR_LOCKED": MS_FR_FAIR_LOCKED,
         "MS_FR_LOCAL": MS_FR_LOCAL, "MS_FR_LOCAL_CAS": MS_FR_LOCAL_CAS,
         "MS_FR_GLOBAL": MS_FR_GLOBAL, "MS_FR_GLOBAL_LOCKED": MS_FR_GLOBAL_LOCKED,
         "MS_FR_SPIN": MS_FR_SPIN, "MS_STEAL_PASS": MS_STEAL_PASS,
         "MS_STEAL_VICTIM": MS_STEAL_VICTIM, "MS_STEAL_CAS": MS_STEAL_CAS,
         "MS_STEAL_RUNNEXT": MS_STEAL_RUNNEXT, "MS_FR_IDLE_LOCKED": MS_FR_IDLE_LOCKED,
         "MS_FR_DROP": MS_FR_DROP, "MS_FR_DROP_LOCKED": MS_FR_DROP_LOCKED,
         "MS_CHECKRUNQS_LOCKED": MS_CHECKRUNQS_LOCKED, "MS_STOPM_LOCKED": MS_STOPM_LOCKED,
         "MS_WAKE": MS_WAKE, "MS_EXECUTE": MS_EXECUTE, "MS_RUN": MS_RUN,
         "MS_AFTERPUT": MS_AFTERPUT, "MS_GLOBPUT_LOCKED": MS_GLOBPUT_LOCKED,
         "MS_WAKEP_LOCKED": MS_WAKEP_LOCKED, "MS_STARTM_LOCKED": MS_STARTM_LOCKED,
         "MS_FR_TOP": MS_FR_TOP, "MS_ARRIVE": MS_ARRIVE, "MS_INJECT_LOCKED": MS_INJECT_LOCKED,
         "MS_STEAL_PROBE": MS_STEAL_PROBE, "MS_CHAN_LOCKED": MS_CHAN_LOCKED,
         "MS_POLL_WAKE": MS_POLL_WAKE, "MS_TIMERS": MS_TIMERS,
         "MS_RTLOCK_LOCKED": MS_RTLOCK_LOCKED, "MS_PREEMPT": MS_PREEMPT,
         "MS_SEL_LOCKED": MS_SEL_LOCKED, "MS_EXITSYSCALL": MS_EXITSYSCALL,
         "MS_EXITSYSCALL_LOCKED": MS_EXITSYSCALL_LOCKED, "MS_POLL_LOCKED": MS_POLL_LOCKED,
         "MS_GCSTOPM_LOCKED": MS_GCSTOPM_LOCKED, "MS_STW_WAIT": MS_STW_WAIT,
         "MS_STW_START": MS_STW_START, "MS_LOCKEDM_WAKE": MS_LOCKEDM_WAKE,
         "MS_GCWORK": MS_GCWORK, "MS_GCASSIST": MS_GCASSIST, "MS_SEMA_LOCKED": MS_SEMA_LOCKED,
         "STEAL_HALF": STEAL_HALF, "STEAL_ONE": STEAL_ONE,
         "STEAL_ALL_BUT_ONE": STEAL_ALL_BUT_ONE, "STEAL_BATCH": STEAL_BATCH,
         "VICTIM_GO": VICTIM_GO, "VICTIM_RANDOM": VICTIM_RANDOM,
         "VICTIM_SEQUENTIAL": VICTIM_SEQUENTIAL, "VICTIM_ROUND_ROBIN": VICTIM_ROUND_ROBIN,
         "VICTIM_SAME_SOCKET": VICTIM_SAME_SOCKET, "READY_RUNNEXT": READY_RUNNEXT,
         "READY_TAIL": READY_TAIL, "READY_GLOBAL": READY_GLOBAL, "HOOK_VICTIM": HOOK_VICTIM,
         "HOOK_AMOUNT": HOOK_AMOUNT, "HOOK_READY": HOOK_READY, "LAYOUT_GO": LAYOUT_GO,
         "LAYOUT_PADDED": LAYOUT_PADDED, "HIST_SUB_BITS": HIST_SUB_BITS,
         "HIST_BUCKETS": HIST_BUCKETS, "ST_RUNNING": ST_RUNNING, "ST_OK": ST_OK,
         "ST_DEADLOCK": ST_DEADLOCK, "ST_MAX_EVENTS": ST_MAX_EVENTS,
         "ST_MAX_CYCLES": ST_MAX_CYCLES, "ST_ERROR": ST_ERROR, "ST_INTERRUPTED": ST_INTERRUPTED,
         "ERR_NONE": ERR_NONE, "ERR_WG_NEGATIVE": ERR_WG_NEGATIVE, "ERR_NOMEM": ERR_NOMEM,
         "ERR_INVARIANT": ERR_INVARIANT, "ERR_BAD_PC": ERR_BAD_PC,
         "ERR_TOO_MANY_M": ERR_TOO_MANY_M, "ERR_KERNEL": ERR_KERNEL,
         "ERR_SEND_CLOSED": ERR_SEND_CLOSED, "ERR_CLOSE_CLOSED": ERR_CLOSE_CLOSED,
         "ERR_UNLOCK_UNLOCKED": ERR_UNLOCK_UNLOCKED, "ERR_RUNLOCK_UNLOCKED": ERR_RUNLOCK_UNLOCKED,
         "ERR_WUNLOCK_UNLOCKED": ERR_WUNLOCK_UNLOCKED, "ERR_OVERFLOW": ERR_OVERFLOW,
         "ERR_MEMLIMIT": ERR_MEMLIMIT, "OVF_IDLE": OVF_IDLE, "OVF_SPINNING": OVF_SPINNING,
         "OVF_LOCK_WAIT": OVF_LOCK_WAIT, "OVF_LOCK_HOLD": OVF_LOCK_HOLD,
         "OVF_MUTEX_WAIT": OVF_MUTEX_WAIT, "OVF_CACHE": OVF_CACHE, "OVF_BUSY": OVF_BUSY,
         "OVF_CPU_WAIT": OVF_CPU_WAIT,
         "OVF_CPU_IDLE": OVF_CPU_IDLE,
         "LC_P_HEAD": LC_P_HEAD,
         "LC_P_TAIL": LC_P_TAIL, "LC_P_RING": LC_P_RING, "LC_P_RUNNEXT": LC_P_RUNNEXT,
         "LC_SCHED_LOCK": LC_SCHED_LOCK, "LC_SCHED_RUNQ": LC_SCHED_RUNQ,
         "LC_SCHED_IDLE": LC_SCHED_IDLE, "LC_SCHED_SPIN": LC_SCHED_SPIN,
         "LC_SCHED_MIDLE": LC_SCHED_MIDLE, "LC_SCHED_GOID": LC_SCHED_GOID,
         "LC_IDLEPMASK": LC_IDLEPMASK, "LC_G": LC_G, "LC_USER": LC_USER, "LC_CHAN": LC_CHAN,
         "NLINECLASSES": NLINECLASSES, "SF_LOCK": SF_LOCK, "SF_RUNQ": SF_RUNQ, "SF_IDLE": SF_IDLE,
         "SF_SPIN": SF_SPIN, "SF_MIDLE": SF_MIDLE, "SF_GOID": SF_GOID,
         "SF_IDLEPMASK": SF_IDLEPMASK, "NSCHEDFIELDS": NSCHEDFIELDS, "ACC_READ": ACC_READ,
         "ACC_WRITE": ACC_WRITE, "ACC_RMW": ACC_RMW, "MAX_CORES": MAX_CORES,
         "G_CHUNK_BITS": G_CHUNK_BITS, "G_CHUNK": G_CHUNK,
         # the DSL's values (gmpcore/expr.py, sched/expr.pxi)
         "waitReasonChanReceiveNilChan": waitReasonChanReceiveNilChan, "OP_SET": OP_SET,
         "OP_IF": OP_IF, "OP_GOX": OP_GOX, "OP_MARKX": OP_MARKX, "OP_MAKECHAN": OP_MAKECHAN,
         "OP_CSEND": OP_CSEND, "OP_CRECV": OP_CRECV, "OP_CCLOSE": OP_CCLOSE,
         "VAL_EXPR": VAL_EXPR, "X_END": X_END, "X_CONST": X_CONST, "X_LOCAL": X_LOCAL,
         "X_SPAWN": X_SPAWN, "X_ITER": X_ITER, "X_RECV": X_RECV, "X_NEG": X_NEG, "X_NOT": X_NOT,
         "X_BITNOT": X_BITNOT, "X_ADD": X_ADD, "X_SUB": X_SUB, "X_MUL": X_MUL, "X_DIV": X_DIV,
         "X_MOD": X_MOD, "X_EQ": X_EQ, "X_NE": X_NE, "X_LT": X_LT, "X_LE": X_LE, "X_GT": X_GT,
         "X_GE": X_GE, "X_AND": X_AND, "X_OR": X_OR, "X_XOR": X_XOR, "X_SHL": X_SHL,
         "X_SHR": X_SHR, "EXPR_STACK": EXPR_STACK, "MAX_LOCALS": MAX_LOCALS,
         "ERR_DIVIDE": ERR_DIVIDE, "ERR_SHIFT": ERR_SHIFT, "ERR_CLOSE_NIL": ERR_CLOSE_NIL,
         "ERR_BAD_CHAN": ERR_BAD_CHAN, "ERR_LIVELOCK": ERR_LIVELOCK, "SELCASE_CHANVAL": SELCASE_CHANVAL}
# the adaptive GOMAXPROCS controller and the article's 4.2 metrics (sched/adapt.pxi,
# core/observe.pxi)
# the spin-bit runtime mutex's unlock event (sched/lock.pxi)
ENUMS.update({"EV_UNLOCK": EV_UNLOCK})
ENUMS.update({"EV_ADAPT": EV_ADAPT, "HOOK_GOMAXPROCS": HOOK_GOMAXPROCS,
              "OVF_RUNNABLE": OVF_RUNNABLE})


# Go's status names as module attributes (_engine._Gwaiting, _engine._Pidle, ...), and the
# error codes (_engine.ERR_SEND_CLOSED, ...) that gmpcore.runner dispatches on
globals().update({k: v for k, v in ENUMS.items()
                  if k.startswith(("_G", "_P", "G_FLAG_", "ERR_", "ST_"))})


def _by_prefix(prefix, rename=None):
    """{python name: value} of the enum members named prefix + NAME (lower-cased NAME)."""
    out = {k[len(prefix):].lower(): v for k, v in ENUMS.items() if k.startswith(prefix)}
    for a, b in (rename or {}).items():
        out[b] = out.pop(a)
    return out


G_STATUS = {k: v for k, v in ENUMS.items() if k.startswith("_G")}
P_STATUS = {k: v for k, v in ENUMS.items() if k.startswith("_P")}
ERROR_CODES = {k: v for k, v in ENUMS.items() if k.startswith("ERR_")}
#: ERR_OVERFLOW's err_arg: which cycle total passed 2**63
OVERFLOW_NAMES = {OVF_IDLE: "idle_cycles", OVF_SPINNING: "spinning_cycles",
                  OVF_LOCK_WAIT: "lock wait cycles", OVF_LOCK_HOLD: "lock hold cycles",
                  OVF_MUTEX_WAIT: "sync.Mutex wait cycles", OVF_CACHE: "cache cycles",
                  OVF_BUSY: "per-P busy_cycles",
                  OVF_RUNNABLE: "P unpark latency or GC pause cycles",
                  OVF_CPU_WAIT: "cpu_wait_cycles",
                  OVF_CPU_IDLE: "cpu_idle_cycles or cpu_unbalanced_cycles"}
#: ERR_MEMLIMIT's (and ERR_NOMEM's) err_arg: the recording buffer that grew (grow's `what`)
RECORDING_BUFFERS = {4: "start order", 5: "marks", 6: "steals", 7: "samples",
                     8: "channels made by the program"}
M_STATES = {v: k for k, v in ENUMS.items() if k.startswith("MS_")}
VICTIMS = _by_prefix("VICTIM_")                 # Strategy.victim
STEAL_AMOUNTS = _by_prefix("STEAL_")            # Strategy.steal_amount
READY_PLACES = _by_prefix("READY_")             # Strategy.ready
LAYOUTS = _by_prefix("LAYOUT_")                 # Machine.layout
VAR_KINDS = _by_prefix("VAR_")                  # Program.var(per_p=, padded=)
ACCESS_KINDS = _by_prefix("ACC_")               # Function.touch(kind=)
SELECT_KINDS = _by_prefix("SEL_")
VALUE_SOURCES = _by_prefix("VAL_", {"reg": "val"})
DISTS = _by_prefix("DIST_")
EXPR_OPS = {k[2:]: v for k, v in ENUMS.items() if k.startswith("X_")}   # gmpcore/expr.py
OPCODES = {k[3:]: v for k, v in ENUMS.items() if k.startswith("OP_")}
STATUS_NAMES = {v: k[3:].lower() for k, v in ENUMS.items() if k.startswith("ST_")}

STOP_REASONS = {0: "unspecified", 1: "runtime.Gosched", 2: "preempted", 3: "preempted"}
TRACE_KINDS = {TE_GO_CREATE: "GoCreate", TE_GO_START: "GoStart", TE_GO_STOP: "GoStop",
               TE_GO_BLOCK: "GoBlock", TE_GO_UNBLOCK: "GoUnblock", TE_GO_END: "GoEnd",
               TE_PROC_START: "ProcStart", TE_PROC_STOP: "ProcStop", TE_STEAL: "Steal",
               TE_SYSCALL: "GoSyscallBegin", TE_SYSCALL_END: "GoSyscallEnd",
               TE_PROC_STEAL: "ProcSteal", TE_STW_BEGIN: "STWBegin", TE_STW_END: "STWEnd",
               TE_GC_BEGIN: "GCBegin", TE_GC_END: "GCEnd", TE_PROCS_CHANGE: "ProcsChange"}
# runtime/proc.go stwReasonStrings
STW_KINDS = {STW_GC_SWEEPTERM: "GC sweep termination", STW_GC_MARKTERM: "GC mark termination",
             STW_GOMAXPROCS: "GOMAXPROCS"}
# runtime/runtime2.go waitReasonStrings
WAIT_REASONS = {waitReasonZero: "", waitReasonSyncWaitGroupWait: "sync.WaitGroup.Wait",
                waitReasonFinalizerWait: "finalizer wait", waitReasonChanSend: "chan send",
                waitReasonChanReceive: "chan receive", waitReasonSyncMutexLock: "sync.Mutex.Lock",
                waitReasonSleep: "sleep", waitReasonSelect: "select",
                waitReasonChanSendNilChan: "chan send (nil chan)", waitReasonIOWait: "IO wait",
                waitReasonSyscall: "syscall", waitReasonSemacquire: "semacquire",
                waitReasonSyncRWMutexRLock: "sync.RWMutex.RLock",
                waitReasonSyncRWMutexLock: "sync.RWMutex.Lock",
                waitReasonChanReceiveNilChan: "chan receive (nil chan)",
                waitReasonSyncCondWait: "sync.Cond.Wait",
                waitReasonGCAssistWait: "GC assist wait"}
HOOK_NAMES = {HOOK_VICTIM: "choose_victim", HOOK_AMOUNT: "steal_amount", HOOK_READY: "place_ready",
              HOOK_GOMAXPROCS: "gomaxprocs"}
HIST_NBUCKETS = HIST_BUCKETS
HIST_SUBBITS = HIST_SUB_BITS
LINE_CLASSES = [name for _, name in sorted({
    LC_P_HEAD: "p.runqhead", LC_P_TAIL: "p.runqtail", LC_P_RING: "p.runq",
    LC_P_RUNNEXT: "p.runnext", LC_SCHED_LOCK: "sched.lock", LC_SCHED_RUNQ: "sched.runq",
    LC_SCHED_IDLE: "sched.pidle", LC_SCHED_SPIN: "sched.nmspinning",
    LC_SCHED_MIDLE: "sched.midle", LC_SCHED_GOID: "sched.goidgen", LC_IDLEPMASK: "idlepMask",
    LC_G: "g", LC_USER: "user", LC_CHAN: "chan"}.items())]
MAXSELECTCASES = MAX_SELECT_CASES
INSTR = INSTR_WIDTH
MAXLOOPDEPTH = MAX_LOOP_DEPTH
