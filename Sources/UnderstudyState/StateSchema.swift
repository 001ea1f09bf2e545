/// The state database's schema, as an ordered list of named migrations.
///
/// Rules for changing it: never edit or remove a migration that has shipped; add a new one named
/// "vN-what-it-does". A database that has a migration this list does not know was written by a
/// newer understudy and is refused (see `StateDatabase.init`), because an older binary cannot know
/// what the newer schema means.
///
/// Times are stored as REAL seconds since 2001-01-01 UTC (Foundation's reference date) so that a
/// `Date` comes back bit-for-bit equal; the Unix epoch would lose the last bit of precision in the
/// conversion. In the sqlite3 shell: `datetime(time + 978307200, 'unixepoch')`.
struct StateSchema: Sendable {
    struct Migration: Sendable {
        var identifier: String
        var sql: String
    }

    var migrations: [Migration]

    static let current = StateSchema(migrations: [
        Migration(
            identifier: "v1-file-index-sync-status-events",
            sql: """
                CREATE TABLE file_index (
                    share TEXT NOT NULL,
                    path TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    mtime_s INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    ctime_s INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL,
                    -- st_ino is unsigned 64-bit; stored bit-cast to SQLite's signed INTEGER.
                    inode INTEGER NOT NULL,
                    content_hash BLOB CHECK (content_hash IS NULL OR length(content_hash) = 32),
                    PRIMARY KEY (share, path)
                ) WITHOUT ROWID;

                CREATE TABLE sync_status (
                    share TEXT NOT NULL PRIMARY KEY,
                    state TEXT NOT NULL,
                    files_total INTEGER NOT NULL,
                    files_done INTEGER NOT NULL,
                    bytes_total INTEGER NOT NULL,
                    bytes_done INTEGER NOT NULL,
                    bytes_sent INTEGER NOT NULL,
                    bytes_received INTEGER NOT NULL,
                    last_sync_at REAL,
                    last_error TEXT,
                    updated_at REAL NOT NULL
                );

                CREATE TABLE event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time REAL NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
                    kind TEXT NOT NULL,
                    share TEXT,
                    message TEXT NOT NULL
                );
                CREATE INDEX event_by_share ON event (share, id);
                """),
        Migration(
            identifier: "v2-resume-point",
            sql: """
                -- The standby's acknowledgement of the primary's change journal: which capture run, and how far.
                -- Both are unsigned 64-bit, stored bit-cast to SQLite's signed INTEGER.
                CREATE TABLE resume_point (
                    share TEXT NOT NULL PRIMARY KEY,
                    capture_id INTEGER NOT NULL,
                    sequence INTEGER NOT NULL
                );
                """),
        Migration(
            identifier: "v3-group-ownership",
            sql: """
                -- Who holds each group, as this node last knew it: the epoch grows at every takeover, and the owner
                -- is the node that took it. Stored before any other change of a takeover (design rule 4).
                CREATE TABLE group_ownership (
                    group_name TEXT NOT NULL PRIMARY KEY,
                    epoch INTEGER NOT NULL,
                    owner TEXT NOT NULL,
                    changed_at REAL NOT NULL
                );
                """),
        Migration(
            identifier: "v4-archives-file-history",
            sql: """
                -- Times in these tables are Unix seconds (REAL), as in group_ownership.
                -- The archive catalog of each share ("group/share"): a row is written 'making' before the first link,
                -- so a run cut short is found at start, marked 'interrupted' and its partial tree removed.
                CREATE TABLE archive (
                    share TEXT NOT NULL,
                    id TEXT NOT NULL,
                    series TEXT NOT NULL,
                    taken_at REAL NOT NULL,
                    seconds REAL,
                    files INTEGER NOT NULL DEFAULT 0,
                    bytes INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL CHECK (state IN ('making', 'complete', 'interrupted', 'failed', 'pruning')),
                    method TEXT,
                    paths TEXT NOT NULL,
                    error TEXT,
                    PRIMARY KEY (share, id)
                );
                -- Prior versions of replica files: `stored` names the kept copy under the share's history directory
                -- (NULL for a 'moved-in' marker: content that arrived at `path` by a rename at `until`).
                CREATE TABLE file_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    share TEXT NOT NULL,
                    path TEXT NOT NULL,
                    since REAL,
                    until REAL NOT NULL,
                    reason TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    mtime REAL NOT NULL,
                    hash BLOB CHECK (hash IS NULL OR length(hash) = 32),
                    stored TEXT
                );
                CREATE INDEX file_history_by_path ON file_history (share, path, until);
                CREATE INDEX file_history_by_until ON file_history (share, until);
                -- When history was turned on for a share: `restore --at` cannot reach before it.
                CREATE TABLE history_start (
                    share TEXT NOT NULL PRIMARY KEY,
                    started_at REAL NOT NULL
                );
                """),
        Migration(
            identifier: "v5-rejoin-base-conflicts",
            sql: """
                -- The tree of a share as the node that took the group over held it at that moment (its replica: the
                -- last state both nodes shared), a zstd-compressed manifest; what a rejoining node compares against.
                CREATE TABLE rejoin_base (
                    share TEXT NOT NULL,
                    epoch INTEGER NOT NULL,
                    recorded_at REAL NOT NULL,
                    files INTEGER NOT NULL,
                    manifest BLOB NOT NULL,
                    PRIMARY KEY (share, epoch)
                );
                -- The epoch whose serving tree this node reconciled with, per share: a rejoin is done once.
                CREATE TABLE rejoin_done (
                    share TEXT NOT NULL PRIMARY KEY,
                    epoch INTEGER NOT NULL
                );
                -- Versions kept side by side when a rejoin found a file changed on both nodes (Unix-seconds times).
                CREATE TABLE conflict (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    share TEXT NOT NULL,
                    path TEXT NOT NULL,
                    copy TEXT NOT NULL,
                    node TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    found_at REAL NOT NULL,
                    copy_size INTEGER NOT NULL,
                    copy_mtime REAL NOT NULL,
                    resolved TEXT,
                    UNIQUE (share, copy)
                );
                """),
        Migration(
            identifier: "v2-user-directory-event-user",
            sql: """
                -- The console's users and API tokens: one JSON document (Core's UserDirectory), replaced whole by
                -- a newer revision; one row.
                CREATE TABLE user_directory (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    revision INTEGER NOT NULL,
                    document TEXT NOT NULL
                );
                -- Who asked for what an event records (an API user, a token, the control socket); NULL for the
                -- engine's own events.
                ALTER TABLE event ADD COLUMN user TEXT;
                """),
        Migration(
            identifier: "v3-relay-journal",
            sql: """
                -- What a node that feeds a group's off-site copy has changed in its tree and the off-site node has
                -- not yet acknowledged (Core's ChangeJournal, kept on disk: a restart resumes from it). One run per
                -- share (capture_id, bit-cast), and one row per path, coalesced.
                CREATE TABLE relay_capture (
                    share TEXT NOT NULL PRIMARY KEY,
                    capture_id INTEGER NOT NULL,
                    sequence INTEGER NOT NULL
                );
                CREATE TABLE relay_journal (
                    share TEXT NOT NULL,
                    path TEXT NOT NULL,
                    recursive INTEGER NOT NULL,
                    sequence INTEGER NOT NULL,
                    captured_at REAL NOT NULL,
                    PRIMARY KEY (share, path)
                ) WITHOUT ROWID;
                """),
        // A standby's block signatures of its large replica files, made as they were written, so that a delta
        // needs no read of the basis. Valid while the file's stat still matches; a row goes with its index row.
        Migration(
            identifier: "v6-file-signature",
            sql: """
                CREATE TABLE file_signature (
                    share TEXT NOT NULL,
                    path TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    mtime_s INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    ctime_s INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    signature BLOB NOT NULL,
                    UNIQUE (share, path)
                );
                """),
        Migration(
            identifier: "v7-file-index-by-directory-and-inode",
            sql: """
                -- The index stays on disk and is read a directory at a time by a scan: its rows are kept in order of
                -- their directory ('' for the share's root), so a directory's rows lie together; a rename reads it by
                -- inode. rtrim(path, <every character of path but '/'>) leaves the path up to its last '/'.
                CREATE TABLE file_index_by_directory (
                    share TEXT NOT NULL,
                    directory TEXT NOT NULL,
                    path TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    mtime_s INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    ctime_s INTEGER NOT NULL,
                    ctime_ns INTEGER NOT NULL,
                    -- st_ino is unsigned 64-bit; stored bit-cast to SQLite's signed INTEGER.
                    inode INTEGER NOT NULL,
                    content_hash BLOB CHECK (content_hash IS NULL OR length(content_hash) = 32),
                    PRIMARY KEY (share, directory, path)
                ) WITHOUT ROWID;
                INSERT INTO file_index_by_directory
                    SELECT share, rtrim(rtrim(path, replace(path, '/', '')), '/'), path,
                        size, mtime_s, mtime_ns, ctime_s, ctime_ns, inode, content_hash
                    FROM file_index;
                DROP TABLE file_index;
                ALTER TABLE file_index_by_directory RENAME TO file_index;
                CREATE INDEX file_index_by_inode ON file_index (share, inode);
                """),
        // Proofs of readiness: a group's services run on a snapshot of the standby's replica, each as one JSON
        // document (`ProofRecord`), the newest kept per group.
        Migration(
            identifier: "v8-proof",
            sql: """
                CREATE TABLE proof (
                    id TEXT PRIMARY KEY NOT NULL,
                    grp TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    passed INTEGER NOT NULL,
                    record BLOB NOT NULL
                );
                CREATE INDEX proof_by_group ON proof (grp, started_at);
                """),
        Migration(
            identifier: "v9-config-versions",
            sql: """
                CREATE TABLE config_version (
                    grp TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    taken_at REAL NOT NULL,
                    content BLOB,
                    digest TEXT NOT NULL,
                    note TEXT,
                    PRIMARY KEY (grp, seq)
                );
                CREATE UNIQUE INDEX config_version_by_path ON config_version (grp, path, version);
                -- Which history the versions of a group belong to: made by the tracker with its first version; a
                -- copy holds the tracker's. Another id from the tracker: its history began again.
                CREATE TABLE config_history (
                    grp TEXT PRIMARY KEY NOT NULL,
                    id TEXT NOT NULL
                );
                """),
    ])
}
