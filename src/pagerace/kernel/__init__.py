"""Kernel primitives for model code, each with its LKMM annotation.

Model threads call these exactly as kernel C calls its macros; every shared access is
one primitive call, so every interleaving point is here.
"""

from pagerace.kernel.atomic import *  # noqa: F403
from pagerace.kernel.atomic import __all__ as _atomic_all
from pagerace.kernel.atomic_fetch import *  # noqa: F403
from pagerace.kernel.atomic_fetch import __all__ as _atomic_fetch_all
from pagerace.kernel.barriers import (
    barrier,
    smp_mb,
    smp_mb__after_atomic,
    smp_mb__after_spinlock,
    smp_mb__after_srcu_read_unlock,
    smp_mb__after_unlock_lock,
    smp_mb__before_atomic,
    smp_rmb,
    smp_wmb,
)
from pagerace.kernel.bit_spinlock import bit_lock_key, bit_spin_lock, bit_spin_unlock
from pagerace.kernel.bitops import (
    __clear_bit,
    __clear_bit_unlock,
    __set_bit,
    __test_and_set_bit,
    clear_bit,
    clear_bit_unlock,
    set_bit,
    test_and_clear_bit,
    test_and_set_bit,
    test_and_set_bit_lock,
    test_bit,
)
from pagerace.kernel.bug import BUG_ON, VM_BUG_ON
from pagerace.kernel.irq import irqs_disabled, local_irq_restore, local_irq_save
from pagerace.kernel.once import (
    READ_ONCE,
    WRITE_ONCE,
    plain_read,
    plain_write,
    smp_load_acquire,
    smp_store_release,
)
from pagerace.kernel.rcu import (
    rcu_assign_pointer,
    rcu_dereference,
    rcu_read_lock,
    rcu_read_unlock,
    srcu_read_lock,
    srcu_read_unlock,
    synchronize_rcu,
    synchronize_srcu,
)
from pagerace.kernel.spinlock import (
    spin_is_locked,
    spin_lock,
    spin_lock_irqsave,
    spin_lock_nest_lock,
    spin_lock_nested,
    spin_trylock,
    spin_unlock,
    spin_unlock_irqrestore,
)

__all__ = [
    *_atomic_all,
    *_atomic_fetch_all,
    "BUG_ON",
    "READ_ONCE",
    "VM_BUG_ON",
    "WRITE_ONCE",
    "__clear_bit",
    "__clear_bit_unlock",
    "__set_bit",
    "__test_and_set_bit",
    "barrier",
    "bit_lock_key",
    "bit_spin_lock",
    "bit_spin_unlock",
    "clear_bit",
    "clear_bit_unlock",
    "irqs_disabled",
    "local_irq_restore",
    "local_irq_save",
    "plain_read",
    "plain_write",
    "rcu_assign_pointer",
    "rcu_dereference",
    "rcu_read_lock",
    "rcu_read_unlock",
    "set_bit",
    "smp_load_acquire",
    "smp_mb",
    "smp_mb__after_atomic",
    "smp_mb__after_spinlock",
    "smp_mb__after_srcu_read_unlock",
    "smp_mb__after_unlock_lock",
    "smp_mb__before_atomic",
    "smp_rmb",
    "smp_store_release",
    "smp_wmb",
    "spin_is_locked",
    "spin_lock",
    "spin_lock_irqsave",
    "spin_lock_nest_lock",
    "spin_lock_nested",
    "spin_trylock",
    "spin_unlock",
    "spin_unlock_irqrestore",
    "srcu_read_lock",
    "srcu_read_unlock",
    "synchronize_rcu",
    "synchronize_srcu",
    "test_and_clear_bit",
    "test_and_set_bit",
    "test_and_set_bit_lock",
    "test_bit",
]
