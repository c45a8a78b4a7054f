"""The Cython/Python boundary: constants cross it once, the engine takes one config record, and
the native loader refuses a bad program with a ValueError naming the instruction (never a crash).
"""
import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

import gmpcore as gc
from gmpcore import _engine, config, runner
from gmpcore.program import OP

PXD = Path(__file__).resolve().parents[1] / "pyx" / "_types.pxd"


def _pxd_enums() -> dict:
    out, inside = {}, False
    for line in PXD.read_text().splitlines():
        if re.match(r"cdef enum\b.*:", line):
            inside = True
            continue
        if inside:
            m = re.match(r"    (\w+) = (-?\d+)", line)
            if m:
                out[m.group(1)] = int(m.group(2))
            elif not line.startswith("    "):
                inside = False
    return out


def _pxd_struct_fields(name: str) -> list:
    text = PXD.read_text()
    body = text[text.index(f"ctypedef struct {name}:"):].split("\n\n")[0].splitlines()[1:]
    return [m.group(1) for ln in body
            if (m := re.match(r"    \w+ \**(\w+)(\[\d+\])?", ln)) and not ln.startswith("    #")]


def test_every_enum_of_the_pxd_is_exported_with_its_value():
    pxd = _pxd_enums()
    assert len(pxd) > 150
    assert _engine.ENUMS == pxd


def test_go_names_and_derived_tables():
    assert (_engine._Gidle, _engine._Grunnable, _engine._Grunning, _engine._Gsyscall,
            _engine._Gwaiting, _engine._Gdead) == (0, 1, 2, 3, 4, 6)     # runtime2.go
    assert _engine.P_STATUS == {"_Pidle": 0, "_Prunning": 1, "_Psyscall": 2, "_Pgcstop": 3,
                                "_Pdead": 4}
    pxd = _pxd_enums()
    for table, prefix in ((config.VICTIMS, "VICTIM_"), (config.READY, "READY_"),
                          (config.AMOUNTS, "STEAL_"), (config.LAYOUTS, "LAYOUT_"),
                          (_engine.DISTS, "DIST_"), (_engine.SELECT_KINDS, "SEL_")):
        assert table and all(pxd[prefix + k.upper()] == v for k, v in table.items())
    assert {k: v for k, v in _engine.OPCODES.items()} == \
        {k[3:]: v for k, v in pxd.items() if k.startswith("OP_")} == OP
    assert _engine.STATUS_NAMES[pxd["ST_MAX_EVENTS"]] == "max_events"
    assert set(runner.ERRORS) == {v for k, v in pxd.items()
                                  if k.startswith("ERR_") and k != "ERR_NONE"}


def test_dtypes_are_the_structs():
    assert list(_engine.COUNTERS_DTYPE.names) == _pxd_struct_fields("Counters")
    assert list(_engine.CONFIG_DTYPE.names) == _pxd_struct_fields("RunConfig")
    assert list(_engine.CONFIG_DTYPE["cost"].names) == _pxd_struct_fields("Costs")
    assert set(_pxd_struct_fields("Costs")) == {f.name for f in dataclasses.fields(gc.CostModel)}
    res = gc.run(gc.workloads.burst(50), procs=2)
    for k in _engine.COUNTERS_DTYPE.names:          # every counter reaches the summary
        # (stw_* and gc_* cycle counters are reported in ns or bytes under other names)
        assert k in res.summary or k.startswith(("stw_", "gc_")) or k in (
            "lat_count", "lat_sum", "lat_sum_hi", "lat_max", "max_live")


def test_one_unit_conversion():
    m = gc.Machine(clock_ghz=2.5)
    assert m.cycles(1000) == 2500 and m.cycles(0.3) == 1 and m.ns(2500) == 1000
    n = m.to_native()
    assert n["starve_cycles"] == 2_500_000 and n["sysmon_min"] == 50_000
    assert gc.Machine(sysmon=False).to_native()["time_slice"] == 0


def _compiled():
    p = gc.Program()
    wg, ch, mu = p.waitgroup("wg"), p.chan("ch", cap=1), p.mutex("mu")
    m = p.func("main")
    m.wg_add(wg, 1).go("w").wg_wait(wg).send(ch, 1).recv(ch).lock(mu).unlock(mu).mark("x")
    w = p.func("w")
    with w.loop(3):
        w.compute(100)
    w.wg_done(wg)
    return p, p.compile()


def _engine_of(compiled, prog, **kw):
    return _engine.Engine(compiled, runner._prepare(prog, 2, **kw).config)


def _patch(compiled, pc, word, value):
    code = compiled.code.copy()
    code[pc * _engine.INSTR + word] = value
    return dataclasses.replace(compiled, code=code)


def _pc(compiled, op, nth=0):
    ops = compiled.code[::_engine.INSTR]
    return int(np.nonzero(ops == OP[op])[0][nth])


@pytest.mark.parametrize("op,word,value,msg", [
    ("GO", 1, 10**6, "function 1000000 does not exist"),
    ("WG_ADD", 1, 7, "WaitGroup 7 does not exist"),
    ("WG_WAIT", 1, -1, "WaitGroup -1 does not exist"),
    ("CHAN_SEND", 1, 10**6, "channel 1000000 does not exist"),
    ("CHAN_SEND", 2, 9, "unknown value source 9"),
    ("CHAN_RECV", 1, 3, "channel 3 does not exist"),
    ("CHAN_RECV", 2, 10**6, "range exit 1000000 is outside the code"),
    ("LOCK", 1, 1, "mutex 1 does not exist"),
    ("MARK", 1, 5, "label 5 does not exist"),
    ("COMPUTE", 1, 99, "distribution 99 does not exist"),
    ("LOOP", 2, 0, "is not the ENDLOOP that closes it"),
    ("EXIT", 0, 77, "unknown opcode 77"),
])
def test_loader_refuses_bad_operands(op, word, value, msg):
    prog, comp = _compiled()
    pc = _pc(comp, op)
    with pytest.raises(ValueError, match=re.escape(msg)) as e:
        _engine_of(_patch(comp, pc, word, value), prog)
    assert f"instruction {pc} (" in str(e.value) and "of function" in str(e.value)


def test_loader_refuses_jumps_out_of_the_function_and_into_loops():
    prog, comp = _compiled()
    with pytest.raises(ValueError, match="a loop is still open"):
        _engine_of(_patch(comp, _pc(comp, "ENDLOOP"), 0, OP["GOSCHED"]), prog)
    entry_w = int(comp.func_entry[comp.func_names.index("w")])
    # a JMP in main to the body of w's loop: another function, another loop depth
    pc = _pc(comp, "EXIT")
    with pytest.raises(ValueError, match="leaves the function"):
        _engine_of(_patch(_patch(comp, pc, 0, OP["JMP"]), pc, 1, entry_w + 1), prog)


def test_loader_refuses_bad_select_tables_and_sizes():
    p = gc.Program()
    ch = p.chan("ch", cap=1)
    m = p.func("main")
    with m.select() as sel:
        with sel.recv(ch):
            m.compute(1)
        with sel.default():
            pass
    comp = p.compile()
    pc = _pc(comp, "SELECT")
    with pytest.raises(ValueError, match="cases"):
        _engine_of(_patch(comp, pc, 1, 10**6), p)
    with pytest.raises(ValueError, match="case 0's channel 5 does not exist"):
        _engine_of(_patch(comp, pc + 1, 2, 5), p)
    with pytest.raises(ValueError, match="SELCASE outside"):
        _engine_of(_patch(comp, 0, 0, OP["SELCASE"]), p)
    with pytest.raises(ValueError, match="whole number"):
        _engine_of(dataclasses.replace(comp, code=comp.code[:-1]), p)
    with pytest.raises(ValueError, match="function entries"):
        _engine_of(dataclasses.replace(comp, func_entry=comp.func_entry + 10**6), p)
    with pytest.raises(ValueError, match="distribution 0"):
        _engine_of(dataclasses.replace(comp, dist_a=np.array([np.nan])), p)


def test_loader_refuses_deep_loops_built_by_hand():
    p = gc.Program()
    p.func("main").compute(1)
    comp = p.compile()
    n = _engine.MAXLOOPDEPTH + 1
    code = [[OP["LOOP"], 1, 2 * n - 1 - i, 0] for i in range(n)]
    code += [[OP["ENDLOOP"], n - 1 - i, 0, 0] for i in range(n)]
    code += [[OP["EXIT"], 0, 0, 0]]
    comp = dataclasses.replace(comp, code=np.array(code, np.int32).ravel(),
                               func_entry=np.array([0, len(code) - 1], np.int32))
    with pytest.raises(ValueError, match="nest deeper"):
        _engine_of(comp, p)


def test_config_record_is_checked():
    prog, comp = _compiled()
    cfg = runner._prepare(prog, 2).config.copy()
    cfg["cost"]["execute"] = -5
    with pytest.raises(ValueError, match="cost.execute"):
        _engine.Engine(comp, cfg)
    with pytest.raises(TypeError, match="CONFIG_DTYPE"):
        _engine.Engine(comp, {"nprocs": 2})


def test_errors_dispatch_on_codes_with_names():
    p = gc.Program()
    ch = p.chan("jobs")
    p.func("main").close(ch).close(ch)
    with pytest.raises(gc.ProgramError, match=r"close of closed channel \(channel 'jobs'\)"):
        gc.run(p, procs=1)
    p = gc.Program()
    wg = p.waitgroup("done")
    p.func("main").wg_add(wg, -1)
    with pytest.raises(gc.ProgramError, match=r"negative WaitGroup counter \(WaitGroup 'done'\)"):
        gc.run(p, procs=1)


def test_result_names_record():
    p = gc.Program()
    ch = p.chan("jobs")
    p.func("main").go("w").recv(ch)
    p.func("w").recv(ch)
    res = gc.run(p, procs=1)
    assert res.status == "deadlock"
    assert res.names.channels == ("jobs",) and "w" in res.names.functions
    assert set(res.blocked["waiting_on"]) == {"jobs"}
