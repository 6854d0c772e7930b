"""Realistic controller bugs for the mutation test: name -> installer taking a pytest MonkeyPatch.

The bugs live in `kubeprops.adapters.simulator.mutations` (so the adapter can also take
`mutations=(...)`); each installer here patches the simulator's module-level functions through
monkeypatch, so pytest undoes them after the test.
"""

from collections.abc import Callable

import pytest

from kubeprops.adapters.simulator import mutations


def _installer(name: str) -> Callable[[pytest.MonkeyPatch], None]:
    def install(monkeypatch: pytest.MonkeyPatch) -> None:
        mutations.install([name], monkeypatch.setattr)

    install.__name__ = f"install_{name.replace('-', '_')}"
    install.__doc__ = f"Install the {name!r} bug."
    return install


MUTANTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    name: _installer(name) for name in mutations.MUTATIONS
}
