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
        Migration(identifier: "v1-file-index-sync-status-events", sql: """
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
        Migration(identifier: "v2-resume-point", sql: """
            -- The standby's acknowledgement of the primary's change journal: which capture run, and how far.
            -- Both are unsigned 64-bit, stored bit-cast to SQLite's signed INTEGER.
            CREATE TABLE resume_point (
                share TEXT NOT NULL PRIMARY KEY,
                capture_id INTEGER NOT NULL,
                sequence INTEGER NOT NULL
            );
            """),
        Migration(identifier: "v3-group-ownership", sql: """
            -- Who holds each group, as this node last knew it: the epoch grows at every takeover, and the owner
            -- is the node that took it. Stored before any other change of a takeover (design rule 4).
            CREATE TABLE group_ownership (
                group_name TEXT NOT NULL PRIMARY KEY,
                epoch INTEGER NOT NULL,
                owner TEXT NOT NULL,
                changed_at REAL NOT NULL
            );
            """),
    ])
}
