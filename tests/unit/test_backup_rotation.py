"""Backups kept in a folder: named by their time, pruned by age, other files left alone."""

import time

from app.backup import rotation


def test_old_backups_are_pruned_and_other_files_kept(tmp_path):
    now = time.time()
    fresh = rotation.new_path(tmp_path, now)
    day_old = rotation.new_path(tmp_path, now - 86400 - 5)
    ancient = rotation.new_path(tmp_path, now - 30 * 86400)
    for path in (fresh, day_old, ancient, tmp_path / "notes.tar.gz",
                 tmp_path / "dia3-latest.tar.gz"):
        path.write_bytes(b"x")
    assert abs(rotation.taken_at(fresh) - now) < 1
    assert rotation.prune(tmp_path, 0, now) == []  # 0 keeps everything
    assert rotation.prune(tmp_path, 1, now) == [ancient, day_old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, "notes.tar.gz", "dia3-latest.tar.gz"])
    assert rotation.latest(tmp_path) == fresh
    assert rotation.prune(tmp_path, 1, now + 3 * 86400, keep=fresh) == []
