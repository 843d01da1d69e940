"""The living residents of one node that chains draw on, kept near a fixed size and age mix.

Ages do not advance in simulated time, so the pool stays stationary by replacement:
- a death removes the person for good and admits a newcomer of the same sex and age (a resident
  the simulation had not shown before), so the elderly never run out;
- a newborn joins the pool for a while (`NEWBORN_WINDOW` births), then leaves it to grow up off
  screen, so babies do not crowd out the adults;
- when no one fits a request (say, an unmarried woman of 20–35), a fitting newcomer takes the
  place of a resident of that sex and age range, keeping the pool's size and age mix; a migrant
  moving in likewise takes the place of a resident of their sex and age.

So the pool holds `size` residents plus at most `NEWBORN_WINDOW` newborns.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from producers.households import PersonMaker
from producers.people import Person, home_regions
from producers.pick import Bag

NEWBORN_WINDOW = 32


class Population:
    """A node's residents: a bag of `Person`s by citizen ID plus the rules above."""

    def __init__(self, maker: PersonMaker, division: str, size: int) -> None:
        self.maker, self.size = maker, size
        self.homes = home_regions(division)
        self.people: Bag[Person] = Bag(lambda person: person.citizen_id)
        self._newborns: deque[str] = deque()
        while len(self.people) < size:
            for person in maker.family(self.home())[: size - len(self.people)]:
                self.people.put(person)

    @property
    def rng(self) -> random.Random:
        return self.maker.rng

    def __len__(self) -> int:
        return len(self.people)

    def home(self) -> str:
        """A household region of this node."""
        return self.homes[self.rng.randrange(len(self.homes))]

    def get(self, citizen_id: str | None) -> Person | None:
        return None if citizen_id is None else self.people.get(citizen_id)

    def anyone(self) -> Person:
        return self.people.choice(self.rng)

    def find(self, accept: Callable[[Person], bool], *, scan: bool = True) -> Person | None:
        """A random resident that `accept`s; without `scan`, None when 32 random draws all miss."""
        return self.people.find(self.rng, accept, scan=scan)

    def aged(self, on: date, low: int, high: int, female: bool | None = None, *,
             marital: frozenset[str] | None = None) -> Person:
        """A resident aged `low`–`high` on `on` (of one sex, with one of these marital statuses,
        when given). When 32 random draws find nobody who fits (a shortage), a fitting newcomer
        takes the place of someone of that sex and age range (or, with nobody in the range
        either, of anyone)."""
        def in_range(p: Person) -> bool:
            return (female is None or p.female == female) and low <= p.age(on) <= high

        found = self.find(lambda p: in_range(p) and (marital is None or p.marital in marital), scan=False)
        if found is not None:
            return found
        state = None if marital is None else "UNMARRIED" if "UNMARRIED" in marital else sorted(marital)[0]
        template = self.find(in_range)
        if template is not None:
            return self.succeed(template, on, marital=state)
        sex = self.rng.random() < 0.5 if female is None else female
        return self.admit(self.maker.newcomer(self.home(), self.rng.randint(low, high), sex, marital=state))

    def succeed(self, leaving: Person, on: date, *, marital: str | None = None, migrant: bool = False) -> Person:
        """A newcomer of `leaving`'s sex and age takes their place; `leaving` is gone for good."""
        self.people.discard(leaving.citizen_id)
        person = self.maker.newcomer(self.home(), leaving.age(on), leaving.female, marital=marital,
                                     migrant=migrant)
        self.people.put(person)
        return person

    def admit(self, person: Person) -> Person:
        """Add a newcomer, in place of a random resident when the pool is full."""
        if len(self.people) >= self.size:
            self.people.discard(self.anyone().citizen_id)
        self.people.put(person)
        return person

    def update(self, person: Person) -> None:
        """Replace the resident with the same citizen ID (a changed record); someone who has left
        the pool meanwhile (made room for a newcomer) stays out."""
        if person.citizen_id in self.people:
            self.people.put(person)

    def bury(self, person: Person, on: date) -> None:
        """Remove the dead for good; a newcomer of the same sex and age takes the place, the spouse
        is widowed, and the household gets a new head (the spouse, else the oldest member)."""
        self.succeed(person, on)
        spouse = self.get(person.spouse_id)
        if spouse is not None:
            self.people.put(replace(spouse, marital="WIDOWED", spouse_id=None, marriage_no=None))
        members = [p for p in self.people if p.head_id == person.citizen_id]
        if members:
            heir = max(members, key=lambda p: (p.relation == "配偶", -p.birth.toordinal()))
            for member in members:
                relation = "户主" if member is heir else member.relation
                self.people.put(replace(member, head_id=heir.citizen_id, relation=relation))

    def welcome(self, newborn: Person) -> None:
        """A newborn joins; the oldest newborn still in the pool leaves once the window is full."""
        self.people.put(newborn)
        self._newborns.append(newborn.citizen_id)
        newborns = self._newborns  # some may have left already (died, made room): keep popping
        while len(newborns) > NEWBORN_WINDOW or (newborns and len(self.people) > self.size + NEWBORN_WINDOW):
            self.people.discard(newborns.popleft())
