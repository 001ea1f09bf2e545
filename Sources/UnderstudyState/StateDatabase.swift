// State: the node's durable memory, one SQLite file at `<state_dir>/state.sqlite`.
//
// It holds what a restart must not forget or should not have to recompute: the file index of every
// share (so an unchanged tree costs a stat walk, not a re-hash), the sync status of every share, and
// the event log. GRDB stays an implementation detail: the API speaks in plain value records and
// `StateError`, so callers never import GRDB.
//
// Durability: WAL journal with `synchronous = FULL`, so a write that returned has been fsynced and
// survives power loss (NORMAL would only survive a process crash, and rule 8 is about acknowledged
// data). Reads go through a pool of reader connections and never wait for the writer.
//
// Schema changes are named migrations (`StateSchema`); a database touched by a newer binary is
// refused rather than guessed at.

import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import UnderstudySupport
import UnderstudyWire

public final class StateDatabase: Sendable {
    public static let fileName = "state.sqlite"

    /// Full path of the database file.
    public let path: String
    let pool: DatabasePool
    /// The shares' resume points, saved in rounds: those saved at the same time share one commit (one fsync).
    let resumePoints: GroupCommit<(share: String, point: ResumePoint), any Error>

    /// Creates `directory` (mode 0700) if needed, opens or creates `state.sqlite` in it and brings
    /// its schema up to date.
    public convenience init(directory: String) throws {
        try self.init(directory: directory, schema: .current)
    }

    /// Opens with a given schema; tests use it to play a newer binary.
    init(directory: String, schema: StateSchema) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        self.path = path
        try Self.prepareDirectory(directory)
        try Self.prepareFile(path)

        var configuration = Configuration()
        configuration.label = "understudy.state"
        // Another process (the CLI reading status while the daemon writes) waits briefly for the
        // write lock instead of failing at once.
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool switches the writer to synchronous = NORMAL while enabling WAL, after
            // any prepareDatabase hook has run, so FULL has to be set here, once the pool is open.
            // Only the writer connection writes, so only it needs it.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw Self.openError(error, path: path)
        }
        try Self.migrate(pool, schema: schema, path: path)
        resumePoints = GroupCommit { [pool, path] points in
            let shares = points.map(\.share).joined(separator: ", ")
            try Self.writing(pool, path, "save the resume point\(points.count == 1 ? "" : "s") of \(shares) in") { db in
                for (share, point) in points { try Self.upsert(point, share: share, db) }
            }
        }
    }

    // MARK: - Opening

    private static func prepareDirectory(_ directory: String) throws {
        var info = stat()
        if stat(directory, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw StateError(
                    code: .directoryUnavailable,
                    message: "state directory \(directory) exists but is not a directory; "
                        + "move the file away or set state_dir to another path",
                    path: directory)
            }
            return
        }
        // Create missing parents too, each private to this user: the state is nobody else's.
        var current = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                let code = errno
                throw StateError(
                    code: code == EACCES || code == EPERM || code == EROFS
                        ? .permissionDenied : .directoryUnavailable,
                    message: "cannot create state directory \(current): \(errnoText(code))",
                    path: current,
                    cause: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
            }
        }
    }

    /// Creates an empty database file with mode 0600 when there is none, so the file and the
    /// -wal/-shm files SQLite derives from it are private; gives a clear error when the file is
    /// there but not usable.
    private static func prepareFile(_ path: String) throws {
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return
        }
        let code = errno
        if code == EEXIST {
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
                throw StateError(
                    code: .notADatabase,
                    message: "\(path) is not a regular file, so it cannot be the state database; "
                        + "move it away and understudy will create a new one",
                    path: path)
            }
            if access(path, R_OK | W_OK) != 0 {
                let accessCode = errno
                throw StateError(
                    code: .permissionDenied,
                    message: "cannot open state database \(path) for reading and writing: "
                        + "\(errnoText(accessCode)); run understudy as the user that owns it",
                    path: path,
                    cause: POSIXError(POSIXErrorCode(rawValue: accessCode) ?? .EACCES))
            }
            return
        }
        throw StateError(
            code: code == EACCES || code == EPERM || code == EROFS ? .permissionDenied : .openFailed,
            message: "cannot create state database \(path): \(errnoText(code))",
            path: path,
            cause: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }

    private static func migrate(_ pool: DatabasePool, schema: StateSchema, path: String) throws {
        var migrator = DatabaseMigrator()
        for migration in schema.migrations {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        do {
            let unknown = try pool.read { db in
                try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
            }
            guard unknown.isEmpty else {
                throw StateError(
                    code: .newerSchema,
                    message: "state database \(path) was upgraded by a newer understudy "
                        + "(it has schema migration \(unknown.joined(separator: ", ")), which this "
                        + "binary does not know); refusing to downgrade it: run the newer "
                        + "understudy, or move the file away to start from a fresh state",
                    path: path)
            }
            try migrator.migrate(pool)
        } catch let error as StateError {
            throw error
        } catch {
            throw failure(error, path: path, doing: "update the schema of")
        }
    }

    private static func openError(_ error: any Error, path: String) -> StateError {
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_NOTADB {
            return StateError(
                code: .notADatabase,
                message: "\(path) is not an SQLite database; move it away and understudy will "
                    + "create a new one (the file index is then rebuilt by a full scan)",
                path: path,
                cause: error)
        }
        return failure(error, path: path, doing: "open")
    }

    // MARK: - Diagnostics

    /// The identifiers of the schema migrations applied to the file, in the order applied.
    func appliedMigrations() throws -> [String] {
        try reading("read the schema version of") { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
    }

    /// The writer connection's journal mode and `synchronous` level (2 is FULL): what decides
    /// whether a returned write survives power loss.
    func writerDurability() throws -> (journalMode: String, synchronous: Int) {
        do {
            return try pool.writeWithoutTransaction { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                    try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                )
            }
        } catch {
            throw Self.failure(error, path: path, doing: "inspect")
        }
    }

    // MARK: - Access

    /// Runs `body` in a read transaction (a consistent snapshot), mapping failures to `StateError`.
    func reading<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch let error as StateError {
            throw error
        } catch {
            throw Self.failure(error, path: path, doing: what)
        }
    }

    /// Runs `body` in one write transaction: all of it is committed (and fsynced) or none of it.
    func writing<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws -> T {
        try Self.writing(pool, path, what, body)
    }

    static func writing<T: Sendable>(
        _ pool: DatabasePool, _ path: String, _ what: String, _ body: @Sendable (Database) throws -> T
    ) throws -> T {
        do {
            return try pool.write(body)
        } catch let error as StateError {
            throw error
        } catch {
            throw Self.failure(error, path: path, doing: what)
        }
    }

    static func failure(_ error: any Error, path: String, doing what: String) -> StateError {
        guard let error = error as? DatabaseError else {
            return StateError(
                code: .accessFailed, message: "cannot \(what) state database \(path): \(error)",
                path: path, cause: error)
        }
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return StateError(
                code: .notADatabase,
                message: "\(path) is not an SQLite database (\(detail)); move it away and "
                    + "understudy will create a new one",
                path: path, cause: error)
        case .SQLITE_CORRUPT:
            return StateError(
                code: .corrupt,
                message: "state database \(path) is damaged (\(detail)); stop understudy, move "
                    + "the file away and restart: the file index is rebuilt by a full scan",
                path: path, cause: error)
        case .SQLITE_FULL:
            return StateError(
                code: .diskFull,
                message: "cannot \(what) state database \(path): the file system is full; "
                    + "free space there, nothing was written",
                path: path, cause: error)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            return StateError(
                code: .permissionDenied,
                message: "cannot \(what) state database \(path): \(detail); check the owner and "
                    + "mode of the file and its directory",
                path: path, cause: error)
        case .SQLITE_CONSTRAINT:
            return StateError(
                code: .invalidRecord,
                message: "cannot \(what) state database \(path): a record breaks a rule "
                    + "(\(detail)); nothing was written",
                path: path, cause: error)
        default:
            return StateError(
                code: .accessFailed, message: "cannot \(what) state database \(path): \(detail)",
                path: path, cause: error)
        }
    }
}

extension Date {
    /// The column value for a time (see `StateSchema` for why the reference date).
    var stateColumnValue: Double { timeIntervalSinceReferenceDate }

    init(stateColumnValue: Double) {
        self.init(timeIntervalSinceReferenceDate: stateColumnValue)
    }
}
