"""Binary relations over event ids: the algebra the memory models are written in.

Operators follow cat: ``|`` union, ``&`` intersection, ``-`` difference, ``@`` sequence
(``;`` in cat), ``.inv()`` inverse (``^-1``), ``.plus()`` transitive closure (``+``),
``.star(universe)`` reflexive-transitive closure (``*``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


class Relation:
    __slots__ = ("pairs",)

    def __init__(self, pairs: Iterable[tuple[int, int]] = ()) -> None:
        self.pairs: frozenset[tuple[int, int]] = frozenset(pairs)

    @staticmethod
    def identity(ids: Iterable[int]) -> Relation:
        """``[S]`` in cat: the identity on a set of events."""
        return Relation((i, i) for i in ids)

    @staticmethod
    def cross(left: Iterable[int], right: Iterable[int]) -> Relation:
        """``S1 * S2`` in cat."""
        rs = tuple(right)
        return Relation((a, b) for a in left for b in rs)

    def __or__(self, other: Relation) -> Relation:
        return Relation(self.pairs | other.pairs)

    def __and__(self, other: Relation) -> Relation:
        return Relation(self.pairs & other.pairs)

    def __sub__(self, other: Relation) -> Relation:
        return Relation(self.pairs - other.pairs)

    def __matmul__(self, other: Relation) -> Relation:
        succ: dict[int, list[int]] = {}
        for a, b in other.pairs:
            succ.setdefault(a, []).append(b)
        return Relation((a, c) for a, b in self.pairs for c in succ.get(b, ()))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(sorted(self.pairs))

    def __len__(self) -> int:
        return len(self.pairs)

    def __contains__(self, pair: object) -> bool:
        return pair in self.pairs

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Relation) and self.pairs == other.pairs

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __repr__(self) -> str:
        return f"Relation({sorted(self.pairs)})"

    def inv(self) -> Relation:
        return Relation((b, a) for a, b in self.pairs)

    def domain(self) -> frozenset[int]:
        return frozenset(a for a, _ in self.pairs)

    def range(self) -> frozenset[int]:
        return frozenset(b for _, b in self.pairs)

    def plus(self) -> Relation:
        succ = self._successors()
        closure: set[tuple[int, int]] = set()
        for start in succ:
            seen: set[int] = set()
            stack = list(succ[start])
            while stack:
                n = stack.pop()
                if n in seen:
                    continue
                seen.add(n)
                stack.extend(succ.get(n, ()))
            closure.update((start, n) for n in seen)
        return Relation(closure)

    def star(self, universe: Iterable[int]) -> Relation:
        return self.plus() | Relation.identity(universe)

    def optional(self, universe: Iterable[int]) -> Relation:
        """``r?`` in cat: ``r`` or the identity."""
        return self | Relation.identity(universe)

    def restrict(self, domain: frozenset[int], rng: frozenset[int]) -> Relation:
        return Relation((a, b) for a, b in self.pairs if a in domain and b in rng)

    def irreflexive(self) -> bool:
        return all(a != b for a, b in self.pairs)

    def empty(self) -> bool:
        return not self.pairs

    def acyclic(self) -> bool:
        return self.find_cycle() is None

    def find_cycle(self) -> list[int] | None:
        """A cycle as a list of event ids, or None (iterative DFS, white/grey/black)."""
        succ = self._successors()
        colour: dict[int, int] = {}
        for root in sorted(succ):
            if colour.get(root):
                continue
            path: list[int] = []
            stack: list[tuple[int, Iterator[int]]] = [(root, iter(sorted(succ[root])))]
            colour[root] = 1
            path.append(root)
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    colour[node] = 2
                    stack.pop()
                    path.pop()
                elif colour.get(nxt) == 1:
                    return path[path.index(nxt) :]
                elif not colour.get(nxt):
                    colour[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, iter(sorted(succ.get(nxt, ())))))
        return None

    def _successors(self) -> dict[int, list[int]]:
        succ: dict[int, list[int]] = {}
        for a, b in self.pairs:
            succ.setdefault(a, []).append(b)
        return succ
