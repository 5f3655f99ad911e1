"""闭环: who must do what by when, kept outside the snapshots so that it survives every rebuild.

`loop.store` is the append-only event file (`<data dir>/loop/events.jsonl`) shared by the three flows of
the loop: data sign-off (数据确认, `loop.signoff`), the follow-up of worklist items (督办) and leaders'
instructions (领导批示). Events name subjects by keys only (source/period/county, or a linkage key and a
check), never by a child's name or ID number.
"""
