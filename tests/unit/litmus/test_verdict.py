"""Verdicts under SC: classic shapes whose SC answers are derived by hand, and the corpus.

Under sequential consistency an execution is an interleaving of the threads' accesses;
each test's comment gives the argument for its expected outcome and execution count
(one execution per execution graph: the explorer is optimal).
"""

from __future__ import annotations

from pagerace.explore.execution import Execution
from pagerace.graph import EventKind
from pagerace.litmus import LitmusProgram, LitmusResult, parse_file, parse_text, resolve, run_test
from tests.unit.litmus.corpus import KERNEL, corpus_files, herd_expected, needs_corpus


def verdict(text: str) -> LitmusResult:
    return run_test(parse_text(text, "t.litmus"))


SB = """C SB
{}
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\\ 1:r0=0)
"""


def test_store_buffering_is_never_observed_under_sc():
    # Whichever read runs last follows both writes (each thread writes before it reads),
    # so it sees 1.  Graphs: (r0, r1) in {(0,1), (1,0), (1,1)}, rf fixed by the values.
    r = verdict(SB)
    assert (r.status, r.observation, r.positive, r.negative) == ("done", "Never", 0, 3)
    assert r.states == ("0:r0=0; 1:r0=1;", "0:r0=1; 1:r0=0;", "0:r0=1; 1:r0=1;")
    assert (r.ok, r.kind) == (False, "Allowed")


def test_an_sc_outcome_of_store_buffering_is_sometimes():
    r = verdict(SB.replace("exists (0:r0=0 /\\ 1:r0=0)", "exists (0:r0=1 /\\ 1:r0=0)"))
    assert (r.observation, r.positive, r.negative, r.ok) == ("Sometimes", 1, 2, True)


def test_message_passing_without_barriers_is_never_observed_under_sc():
    # Reading flag=1 means P0's second write ran, so its first one (buf=1) ran before.
    r = verdict("""C MP
{}
P0(int *buf, int *flag) { WRITE_ONCE(*buf, 1); WRITE_ONCE(*flag, 1); }
P1(int *buf, int *flag) { int r0; int r1; r0 = READ_ONCE(*flag); r1 = READ_ONCE(*buf); }
exists (1:r0=1 /\\ 1:r1=0)
""")
    assert (r.observation, r.positive, r.negative) == ("Never", 0, 3)


def test_load_buffering_is_never_observed_under_sc():
    # Both reads seeing 1 needs each write before the other thread's read, which
    # precedes that thread's own write: a cycle.
    r = verdict("""C LB
{}
P0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); WRITE_ONCE(*y, 1); }
P1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); WRITE_ONCE(*x, 1); }
exists (0:r0=1 /\\ 1:r0=1)
""")
    assert (r.observation, r.positive, r.negative) == ("Never", 0, 3)


def test_read_read_coherence_holds_under_sc():
    # r0=1 then r1=0 would read the write and then the initial value it overwrote.
    r = verdict("""C CoRR
{}
P0(int *x) { WRITE_ONCE(*x, 1); }
P1(int *x) { int r0; int r1; r0 = READ_ONCE(*x); r1 = READ_ONCE(*x); }
exists (1:r0=1 /\\ 1:r1=0)
""")
    assert (r.observation, r.positive, r.negative) == ("Never", 0, 3)


def test_two_plus_two_writes_cannot_both_be_overwritten_under_sc():
    # x=1 at the end puts P1's x=2 before P0's x=1, y=1 puts P0's y=2 before P1's y=1;
    # with program order that is a cycle.  The final values fix the coherence order of
    # each location: 4 combinations, one of them cyclic, so 3 executions.
    r = verdict("""C 2+2W
{}
P0(int *x, int *y) { WRITE_ONCE(*x, 1); WRITE_ONCE(*y, 2); }
P1(int *x, int *y) { WRITE_ONCE(*y, 1); WRITE_ONCE(*x, 2); }
exists (x=1 /\\ y=1)
""")
    assert (r.observation, r.positive) == ("Never", 0)
    assert r.states == ("[x]=1; [y]=2;", "[x]=2; [y]=1;", "[x]=2; [y]=2;")


IRIW = """C IRIW
{}
P0(int *x) { WRITE_ONCE(*x, 1); }
P1(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*x); r1 = READ_ONCE(*y); }
P2(int *y) { WRITE_ONCE(*y, 1); }
P3(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*y); r1 = READ_ONCE(*x); }
exists (1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0)
"""


def test_iriw_readers_agree_on_the_order_of_writes_under_sc():
    # 16 value combinations for the four reads; only the one where the readers see the
    # two writes in opposite orders has no interleaving.
    r = verdict(IRIW)
    assert (r.observation, r.positive, r.negative, len(r.states)) == ("Never", 0, 15, 15)


def test_forall_is_required_and_always_when_every_execution_satisfies_it():
    r = verdict("""C W2
{}
P0(int *x) { WRITE_ONCE(*x, 1); }
P1(int *x) { WRITE_ONCE(*x, 2); }
forall (x=1 \\/ x=2)
""")
    assert (r.kind, r.observation, r.ok) == ("Required", "Always", True)
    assert (r.positive, r.negative) == (2, 0)


def test_not_exists_is_ok_when_nothing_satisfies_it_and_swaps_the_witnesses():
    r = verdict(SB.replace("exists", "~exists"))
    assert (r.observation, r.ok, r.witnesses) == ("Never", True, (3, 0))


def test_filter_drops_the_executions_it_rejects():
    r = verdict("""C MP-filtered
{}
P0(int *buf, int *flag) { WRITE_ONCE(*buf, 1); WRITE_ONCE(*flag, 1); }
P1(int *buf, int *flag) { int r0; int r1; r0 = READ_ONCE(*flag); r1 = READ_ONCE(*buf); }
filter (1:r0=1)
exists (1:r1=0)
""")
    assert (r.executions, r.positive, r.negative) == (3, 0, 1)


# -- locks -------------------------------------------------------------------------------

INC = "spin_lock(s); r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); spin_unlock(s);"


def test_a_spinlock_makes_two_increments_atomic():
    body = f"{{ int r0; {INC} }}"
    r = verdict(
        f"C locked\n{{}}\nP0(int *x, spinlock_t *s) {body}\n"
        f"P1(int *x, spinlock_t *s) {body}\nexists (x=1)\n"
    )
    assert (r.observation, r.negative) == ("Never", 2)


def test_without_the_lock_an_increment_can_be_lost():
    body = f"{{ int r0; {INC.replace('spin_lock(s); ', '').replace(' spin_unlock(s);', '')} }}"
    r = verdict(f"C unlocked\n{{}}\nP0(int *x) {body}\nP1(int *x) {body}\nexists (x=1)\n")
    assert r.observation == "Sometimes"


def test_a_test_whose_every_run_deadlocks_is_never_0_0_which_judgelitmus_calls_deadlock():
    r = verdict("""C stuck
(* Result: DEADLOCK *)
{}
P0(spinlock_t *s) { spin_lock(s); }
P1(spinlock_t *s) { spin_lock(s); }
exists (s=1)
""")
    assert (r.observation, r.positive, r.negative, r.deadlocks) == ("Never", 0, 0, 2)
    assert (r.judged, r.agrees) == ("DEADLOCK", True)


def test_trylock_fails_while_the_other_thread_holds_the_lock():
    r = verdict("""C trylock
{}
P0(spinlock_t *s) { spin_lock(s); spin_unlock(s); }
P1(spinlock_t *s) { int r0; int r1; r1 = spin_is_locked(s); r0 = spin_trylock(s);
  if (r0) spin_unlock(s); }
locations [1:r1]
exists (1:r0=0)
""")
    assert r.observation == "Sometimes"
    assert "1:r0=0; 1:r1=1;" in r.states  # spin_is_locked gives 0 or 1, never True


# -- atomics, pointers, plain accesses, expressions ------------------------------------


def test_only_one_of_two_cmpxchg_from_zero_succeeds():
    r = verdict("""C cmpxchg
{}
P0(int *x) { int r0; r0 = cmpxchg(x, 0, 1); }
P1(int *x) { int r0; r0 = cmpxchg(x, 0, 2); }
exists (0:r0=0 /\\ 1:r0=0)
""")
    assert r.observation == "Never"
    assert r.states == ("0:r0=0; 1:r0=1;", "0:r0=2; 1:r0=0;")


def test_value_returning_atomics_compute_as_the_kernel_does():
    r = verdict("""C atomics
{ atomic_t v = ATOMIC_INIT(5); }
P0(atomic_t *v)
{
	int r0; int r1; int r2; int r3; int r4;
	r0 = atomic_fetch_or(2, v);
	r1 = atomic_add_return(-10, v);
	r2 = atomic_add_negative(1, v);
	r3 = atomic_xchg(v, 4);
	r4 = atomic_add_unless(v, 1, 4);
	atomic_andnot(1, v);
}
forall (0:r0=5 /\\ 0:r1=-3 /\\ 0:r2=1 /\\ 0:r3=-2 /\\ 0:r4=0 /\\ v=4)
""")
    assert (r.observation, r.positive) == ("Always", 1)


def test_pointers_from_the_init_block_are_followed_and_compared_by_name():
    r = verdict("""C ptr
{ int x = 7; int *p = &x; }
P0(int **p) { int *r0; int r1; r0 = READ_ONCE(*p); r1 = READ_ONCE(*r0); }
forall (0:r0=x /\\ 0:r1=7 /\\ p=x)
""")
    assert (r.observation, r.states) == ("Always", ("0:r0=x; 0:r1=7; [p]=x;",))


def test_plain_accesses_if_else_and_c_arithmetic():
    r = verdict("""C plain
{ 0:r1 = -7; }
P0(int *x, int *y)
{
	int r0; int r1;
	*x = r1 / 2 + r1 % 2;
	r0 = *x;
	if (r0 == -4 && !(r1 > 0)) *y = 1; else *y = 2;
}
forall (0:r0=-4 /\\ y=1)
""")
    assert r.observation == "Always"  # C division truncates: -7/2 = -3, -7%2 = -1


def test_dereferencing_a_non_pointer_is_an_input_error_at_its_position():
    r = verdict("""C null
{}
P0(int **p) { int *r0; int r1; r0 = READ_ONCE(*p); r1 = READ_ONCE(*r0); }
exists (0:r1=0)
""")
    assert r.status == "error"
    assert r.error.startswith("t.litmus:3:67: P0: dereferencing 0, which is not a pointer")


# -- what the explorer sees --------------------------------------------------------------


def test_registers_keep_dependencies_and_rcu_primitives_are_tagged_fences():
    test = parse_text("""C deps
{ int x = 1; int *p = &x; }
P0(int **p, int *y)
{
	int *r0; int r1;
	rcu_read_lock();
	r0 = rcu_dereference(*p);
	r1 = READ_ONCE(*r0);
	if (r1) WRITE_ONCE(*y, r1);
	rcu_read_unlock();
	synchronize_rcu();
}
exists (y=1)
""")
    ex = Execution(LitmusProgram(test, resolve(test)).program())
    while enabled := ex.enabled():
        ex.step(enabled[0])
    ex.finish()
    # Ghost events keep RCU's grace-period state (pagerace.kernel.rcu); leave them out.
    deref, load, store = (e for e in ex.events if e.lid is not None and e.annot != "ghost")
    assert (deref.name, load.name, store.name) == ("rcu_dereference", "READ_ONCE", "WRITE_ONCE")
    assert load.addr == {deref.eid}  # address dependency through the pointer register
    assert store.data == {load.eid}  # data dependency through r1
    assert load.eid in store.ctrl  # control dependency through `if (r1)`
    fences = [e.annot for e in ex.events if e.kind is EventKind.FENCE]
    assert fences == ["rcu-lock", "rcu-unlock", "sync-rcu"]


def test_the_result_header_is_compared_with_the_observation():
    assert verdict(SB.replace("{}", "(* Result: Never *)\n{}")).agrees is True
    assert verdict(SB.replace("{}", "(* Result: Sometimes *)\n{}")).agrees is False
    assert verdict(SB).agrees is None


# -- the kernel corpus -----------------------------------------------------------------


@needs_corpus
def test_every_kernel_test_runs_under_sc_and_sc_forbids_every_outcome_they_ask_about():
    # Each kernel test asks about a weak outcome (a reordering, a lost update, a read
    # spanning a grace period); SC with RCU's grace periods forbids every one of them.
    results = [run_test(parse_file(p)) for p in corpus_files()]
    assert {r.status for r in results} == {"done"}
    assert [r.name for r in results if r.observation != "Never"] == []


@needs_corpus
def test_sc_never_observes_an_outcome_the_lkmm_forbids_outside_rcu():
    # SC (with RCU grace periods) is stronger than the LKMM; only SRCU grace periods
    # are not modelled under sc: herd7's Never implies sc's Never.
    herd = herd_expected()
    for path in corpus_files():
        r = run_test(parse_file(path))
        row = herd[str(path.relative_to(KERNEL))]
        if row["herd7_observation"].startswith("Never") and not r.uses_srcu:
            assert r.observation == "Never", r.name


SRCU_SB = """C SRCU-SB
{}
P0(int *x, int *y, struct srcu_struct *s)
{
	int r0;
	int r1;
	r0 = srcu_read_lock(s);
	WRITE_ONCE(*x, 1);
	r1 = READ_ONCE(*y);
	srcu_read_unlock(s, r0);
}
P1(int *x, int *y, struct srcu_struct *s)
{
	int r2;
	WRITE_ONCE(*y, 1);
	SYNC
	r2 = READ_ONCE(*x);
}
exists (0:r1=0 /\\ 1:r2=0)
"""


def test_an_srcu_grace_period_forbids_store_buffering_with_a_reader():
    """``struct srcu_struct *`` parameters; the same verdicts from the native LKMM and
    the interpreted linux-kernel.cat (the grace period ends after the reader)."""
    for sync, want in (("synchronize_srcu(s);", "Never"), ("", "Sometimes")):
        test = parse_text(SRCU_SB.replace("SYNC", sync))
        models = ["lkmm"] + ([f"cat:{KERNEL.parent / 'lkmm-model'}"] if KERNEL.is_dir() else [])
        for model in models:
            r = run_test(test, model)
            assert (r.observation, r.uses_srcu) == (want, True), model
