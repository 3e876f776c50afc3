"""Static checks: every name, macro and register is resolved before a test runs."""

from __future__ import annotations

import pytest

from pagerace.core.errors import InputError
from pagerace.litmus import parse_text, resolve
from pagerace.litmus.macros import MACROS


def check(body: str, tail: str = "exists (x=0)", init: str = "{}") -> InputError:
    text = f"C t\n{init}\nP0(int *x, atomic_t *v)\n{{\n{body}\n}}\n{tail}\n"
    with pytest.raises(InputError) as info:
        resolve(parse_text(text, "t.litmus"))
    return info.value


def test_an_unknown_macro_is_an_error_that_names_it_at_its_position():
    e = check("\tint r0;\n\tr0 = smp_load_frobnicate(x);")
    assert str(e).startswith("t.litmus:6:7: unsupported primitive `smp_load_frobnicate`")
    assert "linux-kernel.def" in e.hint


def test_a_macro_with_the_wrong_number_of_arguments_is_an_error():
    e = check("\tWRITE_ONCE(*x);")
    assert e.message == "WRITE_ONCE takes 2 arguments, got 1"


def test_read_once_of_a_pointer_rather_than_a_location_is_an_error_with_the_fix():
    e = check("\tint r0;\n\tr0 = READ_ONCE(x);")
    assert e.message == "READ_ONCE needs a shared location such as `*x`"
    assert e.hint == "write READ_ONCE(*x)"


def test_a_macro_without_a_value_cannot_be_assigned():
    e = check("\tint r0;\n\tr0 = smp_mb();")
    assert e.message == "smp_mb() has no value"


def test_an_undeclared_name_is_an_error():
    e = check("\tWRITE_ONCE(*x, r9);")
    assert e.message == "unknown name `r9` in P0"


def test_assigning_to_a_parameter_is_an_error_that_suggests_a_store():
    e = check("\tx = 1;")
    assert e.message == "cannot assign to the parameter x"
    assert "WRITE_ONCE(*x, v)" in e.hint


def test_a_register_of_an_absent_thread_or_an_undeclared_register_is_an_error():
    assert "thread P3, which is absent" in check("", "exists (3:r0=1)").message
    assert check("", "exists (0:r0=1)").message == "0:r0: P0 has no local named r0"


def test_a_shared_variable_initialised_twice_is_an_error():
    assert check("", init="{ x=1; int x=2; }").message == "x is initialised twice"


def test_shared_variables_come_from_init_params_and_condition_in_that_order():
    text = "C t\n{ p=y; }\nP0(int *x) { }\nexists (z=0)\n"
    assert resolve(parse_text(text)).shared == ("p", "y", "x", "z")


@pytest.mark.parametrize(
    "name",
    [
        "READ_ONCE",
        "smp_store_mb",
        "smp_mb__after_spinlock",
        "atomic_fetch_andnot_relaxed",
        "atomic_add_negative",
        "xchg_acquire",
        "cmpxchg_release",
        "atomic_cmpxchg_relaxed",
        "spin_is_locked",
        "synchronize_rcu_expedited",
        "srcu_read_lock",
    ],
)
def test_the_macros_of_linux_kernel_def_are_known(name):
    assert name in MACROS
