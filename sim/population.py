"""The migrant population as NumPy columns: one row per person, no Python object each.

Migrants are the hot path (tens of thousands in a city preset, up to a million), so their
state lives in arrays on the model and every monthly rule is a masked array operation.
A person who leaves the city is marked ``GONE`` and their row is reused by a newcomer, so
the arrays never need compacting; ``person_id`` stays unique for the whole run.
"""

import ctypes
import os
import platform
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.states import Education, LabourState, LegalStatus, Reason, RecognitionState, Sex

#: Marks "no such month" in month columns (for example: no formal job yet).
NO_MONTH = np.iinfo(np.int32).min


@dataclass(frozen=True)
class Column:
    dtype: type
    fill: Any
    doc: str


COLUMNS: dict[str, Column] = {
    "person_id": Column(np.int64, -1, "unique id for the whole run"),
    "status": Column(np.int8, LegalStatus.GONE, "LegalStatus code"),
    "status_since_month": Column(np.int32, NO_MONTH, "model month the current legal status began"),
    "legal_since_month": Column(np.int32, NO_MONTH, "start of the current uninterrupted legal residence"),
    "status_review_month": Column(
        np.int32, NO_MONTH, "month of the next status event: asylum decision, permit expiry or end of study"
    ),
    "studying": Column(np.bool_, False, "holds a study permit and has not finished studying"),
    "labour": Column(np.int8, LabourState.GONE, "LabourState code"),
    "labour_since_month": Column(np.int32, NO_MONTH, "model month the current labour state began"),
    "reason": Column(np.int8, 0, "Reason of arrival"),
    "sex": Column(np.int8, 0, "Sex code"),
    "care_duties": Column(np.bool_, False, "caring for young children or relatives (guide §2.5.1.2)"),
    "education": Column(np.int8, 0, "Education code"),
    "origin_sector": Column(np.int8, 0, "index of the sector of the occupation held before arrival"),
    "birth_month": Column(np.int32, 2**30, "model month of birth (negative: before the start)"),
    "arrival_month": Column(np.int32, 0, "model month of arrival in the city"),
    "recognition": Column(np.int8, RecognitionState.NOT_APPLIED, "RecognitionState of the foreign diploma"),
    "recognition_due_month": Column(np.int32, NO_MONTH, "month the pending recognition is decided"),
    "skill": Column(np.float32, 0.0, "usable level of the qualification, 0-1; decays in jobs below it"),
    "field_mismatch": Column(np.bool_, False, "a graduate whose field or level has no skilled openings in the city"),
    "language": Column(np.float32, 0.0, "host-language level, 0-1 (0.5 = CEFR B1)"),
    "aptitude": Column(np.float32, 1.0, "speed of language learning relative to the average"),
    "readiness": Column(np.float32, 0.0, "readiness to work, 0-1 (trauma, health, housing)"),
    "services_knowledge": Column(np.float32, 0.0, "knowledge of services and rights, 0-1"),
    "course_end_month": Column(np.int32, NO_MONTH, "month the current language course ends"),
    "bonding_ties": Column(np.float32, 0.0, "ties within one's own community"),
    "bridging_ties": Column(np.float32, 0.0, "ties to the host society (expected count)"),
    "employer": Column(np.int32, -1, "index of the employer in model.employers, -1 if none"),
    "job_level": Column(np.int8, -1, "JobLevel of the current job, -1 if none"),
    "wage_eur_per_month": Column(np.float32, 0.0, "earnings from work"),
    "exploited": Column(np.bool_, False, "working undeclared for an exploitative employer (guide §2.10.1)"),
    "first_formal_job_month": Column(np.int32, NO_MONTH, "month of the first declared job in the city"),
    "sse_enterprise": Column(np.int32, -1, "index of the SSE enterprise in model.sse_enterprises, -1 if none"),
    "programme_end_month": Column(np.int32, NO_MONTH, "end of the current programme: training, SSE spell, cohort"),
    "partner_programme": Column(np.int8, -1, "programme (labour_market.PARTNER_PROGRAMMES) whose partners give priority"),
    "partner_priority_until_month": Column(np.int32, NO_MONTH, "last month of priority on the partner employers' openings"),
    "regularisation_filed_month": Column(np.int32, NO_MONTH, "month a pending regularisation application was filed"),
    "regularisation_employer": Column(
        np.int32, -1, "employer (index in model.employers) that filed the pending regularisation application for "
        "its worker; -1 if the person filed it or none is pending"
    ),
    "regularisation_refused_month": Column(np.int32, NO_MONTH, "month the last regularisation application was refused"),
    "regularisation_advised": Column(np.bool_, False, "advised by the city's regularisation advice service"),
    "host_months": Column(
        np.int16, -1, "-1 unless a resident of an approved host organisation (OACAS, CASF L265-1); then the "
        "uninterrupted months of solidarity activity there (the OACAS clock)"
    ),
    "mentored_until_month": Column(np.int32, NO_MONTH, "last month of mentoring (guide §2.8.1)"),
    "one_stop_shop_month": Column(np.int32, NO_MONTH, "month of the last visit to the one-stop shop or referral"),
    "id_card": Column(np.bool_, False, "holds a municipal identity card (guide §2.1.1.3)"),
    "union_informed": Column(np.bool_, False, "met a trade-union contact point (guide §2.2)"),
}

_GONE = np.int8(LegalStatus.GONE)
"""GONE as a NumPy scalar: NumPy reads an IntEnum member as a generic Python object and
widens a whole int8 column to compare with it, ten times slower."""


BLOCK_ROWS = 1 << 16
"""Rows per block when a whole-column kernel goes through the columns block by block: its
temporaries (NumPy widens codes to 8-byte indices to look up or count them) then stay in
the processor's cache instead of going out to memory and back at a million rows."""


def blocks(size: int) -> list[slice]:
    """The rows ``0 .. size`` as consecutive slices of ``BLOCK_ROWS`` rows."""
    return [slice(start, min(start + BLOCK_ROWS, size)) for start in range(0, size, BLOCK_ROWS)]


def by_code(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]``, a small table looked up by a column of codes, two to three times
    faster: ``np.take`` in "wrap" mode skips the bounds checks of fancy indexing, and reads
    a negative code from the end as indexing does; long columns go block by block
    (``BLOCK_ROWS``). Codes must be valid (they are by construction: enum values below the
    table's size)."""
    if codes.ndim != 1 or codes.size <= BLOCK_ROWS:
        return np.take(table, codes, mode="wrap")
    out = np.empty(codes.size, dtype=table.dtype)
    for block in blocks(codes.size):
        np.take(table, codes[block], mode="wrap", out=out[block])
    return out


def in_table(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` for a boolean table (``states.lookup``): a range test, two
    comparisons, when the codes it holds true are consecutive, else ``by_code``."""
    true = np.flatnonzero(table)
    if true.size and true[-1] - true[0] + 1 == true.size:
        inside = codes >= codes.dtype.type(true[0])
        inside &= codes <= codes.dtype.type(true[-1])
        return inside
    return by_code(table, codes)


def multiply_where(column: np.ndarray, mask: np.ndarray, factor: float) -> None:
    """``column[mask] *= factor`` in place, in the column's precision, bit for bit as
    ``np.multiply(column, factor, out=column, where=mask)`` but faster: one product by a
    per-row factor that is ``factor`` where the mask holds and exactly 1 elsewhere."""
    kind = column.dtype.type
    factor, one = kind(factor), kind(1)
    step = factor - one
    if not np.isfinite(factor) or one + step != factor:  # the factor must come back exactly from 1 + step
        np.multiply(column, factor, out=column, where=mask)
        return
    per_row = mask.astype(column.dtype)
    per_row *= step
    per_row += one  # 1 + 0 * step is 1, 1 + step is factor
    column *= per_row


_DECODERS = {
    "status": LegalStatus,
    "labour": LabourState,
    "reason": Reason,
    "sex": Sex,
    "education": Education,
    "recognition": RecognitionState,
}


def readable(values: dict[str, Any], month: int) -> dict[str, Any]:
    """A person's column values made readable: codes as their names, no-month markers as
    None, and age, months in the city and in the current status at ``month``."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in _DECODERS:
            value = _DECODERS[name](value).name.lower()
        elif name.endswith("_month"):
            value = None if value == NO_MONTH else value
        out[name] = value
    out["age_years"] = round((month - out["birth_month"]) / 12, 1)
    out["months_in_city"] = month - out["arrival_month"]
    out["months_in_status"] = month - out["status_since_month"]
    return out


_MALLOC_TUNED = False


def retain_freed_memory() -> None:
    """Let this process keep the memory that whole-column temporaries free (glibc only, once).

    Every monthly rule makes temporaries the size of a column (0.4 to 8 MB at a million
    rows). By default glibc hands freed blocks of that size back to the system and maps
    them again, zero-filled, at the next allocation: about 800,000 page faults and a tenth
    of the run in the kernel for 200,000 migrants over 300 months. Raising the
    thresholds (mmap: 32 MB, trim: 64 MB) keeps them in the process, which changes no
    number. Skipped when the user tunes malloc through the environment.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return
    if any(key == "GLIBC_TUNABLES" or key.startswith("MALLOC_") for key in os.environ):
        return
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    mallopt(m_mmap_threshold, 32 * 2**20)
    mallopt(m_trim_threshold, 64 * 2**20)


class Population:
    """Struct-of-arrays store of migrants; column names and meanings are in ``COLUMNS``."""

    person_id: np.ndarray
    status: np.ndarray
    labour: np.ndarray

    def __init__(self, capacity: int = 0):
        retain_freed_memory()
        for name, column in COLUMNS.items():
            setattr(self, name, np.full(capacity, column.fill, dtype=column.dtype))
        self.next_id = 0
        # Free rows, reused first-in first-out so the layout is deterministic: a queue
        # held in one array, live between _free_head and _free_tail, so that taking rows
        # and returning them do not copy the whole queue every time.
        self._free_queue = np.arange(capacity, dtype=np.int64)
        self._free_head = 0
        self._free_tail = capacity

    def __setstate__(self, state: dict[str, Any]) -> None:
        retain_freed_memory()  # in worker processes that receive a pickled city
        self.__dict__.update(state)

    @property
    def slots(self) -> int:
        """Rows allocated, alive or free."""
        return self.person_id.size

    def alive(self) -> np.ndarray:
        return self.status != _GONE

    def count(self) -> int:
        return self.slots - (self._free_tail - self._free_head)

    def free_rows(self) -> np.ndarray:
        """Free rows, in the order they will be reused (a copy)."""
        return self._free_queue[self._free_head:self._free_tail].copy()

    def _push_free(self, rows: np.ndarray) -> None:
        """Append rows to the free queue, compacting or enlarging its array when full."""
        n, live = rows.size, self._free_tail - self._free_head
        if self._free_tail + n > self._free_queue.size:
            queue = self._free_queue
            if live + n > queue.size // 2:
                queue = np.empty(max(2 * (live + n), 1024), dtype=np.int64)
            queue[:live] = self._free_queue[self._free_head:self._free_tail]
            self._free_queue, self._free_head, self._free_tail = queue, 0, live
        self._free_queue[self._free_tail:self._free_tail + n] = rows
        self._free_tail += n

    def add(self, n: int, **values: np.ndarray | Any) -> np.ndarray:
        """Add ``n`` people with the given column values; return their rows.

        Free rows are reused first; the arrays grow (``_grow``) when there are not enough.
        """
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown population columns: {sorted(unknown)}")
        if self._free_tail - self._free_head < n:
            self._grow(n - (self._free_tail - self._free_head))
        rows = self._free_queue[self._free_head:self._free_head + n].copy()
        self._free_head += n
        for name, value in values.items():
            getattr(self, name)[rows] = value
        self.person_id[rows] = np.arange(self.next_id, self.next_id + n)
        self.next_id += n
        return rows

    def remove(self, rows: np.ndarray) -> None:
        """People leave the city: their rows return to their empty values and become free.

        Empty values (zero levels, status GONE) let aggregates sum whole columns.
        """
        for name, column in COLUMNS.items():
            getattr(self, name)[rows] = column.fill
        self._push_free(np.asarray(rows, dtype=np.int64))

    def row_of(self, person_id: int) -> int:
        rows = np.flatnonzero((self.person_id == person_id) & self.alive())
        if rows.size == 0:
            raise KeyError(f"no migrant with person_id {person_id} in the city now")
        return int(rows[0])

    def record(self, person_id: int, month: int) -> dict[str, Any]:
        """One person's state as a readable dict: enum names, ages and durations in years/months."""
        row = self.row_of(person_id)
        return readable({name: getattr(self, name)[row].item() for name in COLUMNS}, month)

    def _grow(self, needed: int) -> None:
        """Add rows for at least ``needed`` more people: an eighth more than now, as
        Python's lists over-allocate, since every rule passes over whole columns, free rows
        included; doubling left a city that outgrew its start by a few people with half its
        rows empty, and every month twice as long."""
        old_size = self.slots
        new_size = max(old_size + old_size // 8, old_size + needed, 1024)
        for name, column in COLUMNS.items():
            old = getattr(self, name)
            grown = np.full(new_size, column.fill, dtype=column.dtype)
            grown[:old_size] = old
            setattr(self, name, grown)
        self._push_free(np.arange(old_size, new_size, dtype=np.int64))
