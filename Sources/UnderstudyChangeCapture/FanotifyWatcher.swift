#if canImport(Glibc)
import Glibc
#endif
import CLinux
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem

/// Watches one share through a single fanotify mark on its whole file system (`FAN_MARK_FILESYSTEM` with
/// `FAN_REPORT_DFID_NAME`): no watch per directory, no walk at start, and no kernel memory that grows with the tree.
///
/// Each event names a directory by file handle and an entry by name. The directory's current path comes from
/// `open_by_handle_at` (cached per handle until a directory is renamed or removed); events outside the share, in
/// excluded or reserved directories, or for names that are not UTF-8 are dropped here. Needs CAP_SYS_ADMIN (for
/// the mark) and CAP_DAC_READ_SEARCH (for the handles), and Linux 5.17 for `FAN_RENAME`, which reports both names
/// of a rename in one event. fanotify sees only changes made through this kernel: not those made by another host
/// on a network file system.
package final class FanotifyWatcher: ChangeWatcher, @unchecked Sendable {
    package var backend: CaptureBackend { .fanotify }
    static let bufferSize = 64 * 1024
    /// Directories whose paths are kept between events; the cache starts over when it outgrows this.
    static let cachedDirectories = 16384

    /// The share root as the kernel names it (symlinks resolved), and that with a final "/".
    let rootPath: String
    private let rootPrefix: String
    let filter: PathFilter
    let onChanges: @Sendable ([CapturedChange]) -> Void
    let fanotifyDescriptor: Int32
    /// The share root, through which handles are opened: paths come out as seen through its mount.
    let mountDescriptor: Int32
    private let wakePipe: WakePipe

    // The reading thread's own.
    /// Directory handle → its path relative to the root, or nil when it is outside the share or not mirrored.
    var directories: [[UInt8]: Directory] = [:]
    var undelivered: [CapturedChange] = []
    private var pathBuffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    private var threadClosesDescriptors = false

    private enum Lifecycle {
        case idle
        case running(pthread_t)
        case stopped
    }

    private struct Shared {
        var lifecycle = Lifecycle.idle
        var stopRequested = false
        var descriptorsClosed = false
    }

    private let shared = NIOLockedValueBox(Shared())

    /// Sets up the mark; throws when fanotify cannot watch this tree (old kernel, no privilege, a file system
    /// without file handles), with the reason, so that the caller can fall back to inotify.
    package init(
        root: String, filter: PathFilter, onChanges: @escaping @Sendable ([CapturedChange]) -> Void
    ) throws(FileSystemError) {
        guard let resolved = realpath(root, nil) else { throw .errno("resolve the share root", root) }
        rootPath = String(cString: resolved)
        free(resolved)
        rootPrefix = rootPath == "/" ? "/" : rootPath + "/"
        self.filter = filter
        self.onChanges = onChanges
        let fd = understudy_fanotify_init()
        guard fd >= 0 else { throw FileSystemError(operation: "fanotify_init", path: "", errno: -fd) }
        let marked = understudy_fanotify_mark_filesystem(fd, rootPath)
        guard marked == 0 else {
            close(fd)
            throw FileSystemError(operation: "fanotify_mark (whole file system)", path: rootPath, errno: -marked)
        }
        let mount = open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard mount >= 0 else {
            let error = FileSystemError.errno("open", rootPath)
            close(fd)
            throw error
        }
        do {
            wakePipe = try WakePipe()
        } catch {
            close(fd)
            close(mount)
            throw error
        }
        fanotifyDescriptor = fd
        mountDescriptor = mount
    }

    deinit {
        closeDescriptors()
    }

    package var watchCount: Int? { nil }
    package var currentLimitProblem: String? { nil }

    /// Starts the reading thread. The mark has been in place since init; what it queued before now is dropped, so
    /// that, as with inotify, changes are reported from the start on.
    package func start() throws(FileSystemError) -> CaptureReport {
        discardQueued()
        let launch: Result<Void, FileSystemError> = shared.withLockedValue { state in
            guard case .idle = state.lifecycle else {
                return .failure(
                    FileSystemError(
                        operation: "start fanotify watcher (already started or stopped)", path: "", errno: EINVAL))
            }
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let result = pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<FanotifyWatcher>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
            guard result == 0 else {
                Unmanaged<FanotifyWatcher>.fromOpaque(context).release()
                return .failure(FileSystemError(operation: "start fanotify thread", path: "", errno: result))
            }
            state.lifecycle = .running(thread)
            return .success(())
        }
        try launch.get()
        return CaptureReport(backend: .fanotify, watches: nil, limitProblem: nil)
    }

    package func stop() {
        enum Action { case nothing, close, join(pthread_t) }
        let action = shared.withLockedValue { state -> Action in
            let previous = state.lifecycle
            state.lifecycle = .stopped
            state.stopRequested = true
            switch previous {
            case .idle: return .close
            case .stopped: return .nothing
            case .running(let thread): return .join(thread)
            }
        }
        switch action {
        case .nothing: return
        case .close: closeDescriptors()
        case .join(let thread):
            wakePipe.wake()
            if pthread_equal(thread, pthread_self()) != 0 {
                threadClosesDescriptors = true  // called from onChanges: the loop ends when the callback returns
                pthread_detach(thread)
            } else {
                pthread_join(thread, nil)
                closeDescriptors()
            }
        }
    }

    private func discardQueued() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        var event = understudy_fanotify_event()
        for _ in 0..<1024 {
            let count = read(fanotifyDescriptor, buffer, Self.bufferSize)
            guard count > 0 else { return }
            var offset = 0
            // Decoding closes any descriptor an event carried.
            while offset >= 0 { offset = understudy_fanotify_event_at(buffer, count, offset, &event) }
        }
    }

    private var isStopRequested: Bool { shared.withLockedValue { $0.stopRequested } }

    private func closeDescriptors() {
        let close = shared.withLockedValue { state -> Bool in
            defer { state.descriptorsClosed = true }
            return !state.descriptorsClosed
        }
        guard close else { return }
        Glibc.close(fanotifyDescriptor)
        Glibc.close(mountDescriptor)
        wakePipe.close()
    }

    private func run() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        var descriptors = [
            pollfd(fd: fanotifyDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while !isStopRequested {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if isStopRequested { break }
            if ready < 0 {
                if errno != EINTR { usleep(100_000) }
                continue
            }
            guard descriptors[0].revents != 0 else { continue }
            // Everything queued now goes out as one batch, so that a burst is not cut into many.
            for _ in 0..<64 {
                let count = read(fanotifyDescriptor, buffer, Self.bufferSize)
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { break }
                    // ENOMEM and the like: what was queued may be lost; compare the share again.
                    undelivered.append(CapturedChange(.overflow, ""))
                    usleep(100_000)
                    break
                }
                if count == 0 { break }
                handleEvents(UnsafeRawBufferPointer(start: buffer, count: count))
            }
            deliver()
        }
        if threadClosesDescriptors { closeDescriptors() }
    }

    private func deliver() {
        guard !undelivered.isEmpty else { return }
        let changes = CapturedChange.lastOfEach(undelivered)
        undelivered = []
        onChanges(changes)
    }

    /// A directory an event named: where it is now, and its path relative to the root when it is mirrored.
    struct Directory {
        var absolute: String
        var mirrored: String?
    }

    /// The directory a handle names, or nil when it no longer exists (its parent's event covers it).
    func directory(_ handle: UnsafeRawPointer, length: UInt32) -> Directory? {
        let key = Array(UnsafeRawBufferPointer(start: handle, count: Int(length)))
        if let known = directories[key] { return known }
        let count = understudy_fanotify_path(mountDescriptor, handle, length, &pathBuffer, pathBuffer.count)
        guard count >= 0 else { return nil }
        let absolute = pathBuffer.withUnsafeBufferPointer { pointer in
            String(validating: UnsafeRawBufferPointer(start: pointer.baseAddress, count: count), as: UTF8.self)
        }
        guard let absolute else { return nil }  // not UTF-8: never mirrored, and not above the root either
        let found = Directory(absolute: absolute, mirrored: mirroredDirectory(absolute))
        if directories.count >= Self.cachedDirectories { directories.removeAll(keepingCapacity: true) }
        directories[key] = found
        return found
    }

    /// `absolute` relative to the root when it is the root or a mirrored directory below it.
    func mirroredDirectory(_ absolute: String) -> String? {
        if absolute == rootPath { return "" }
        guard absolute.hasPrefix(rootPrefix) else { return nil }
        let relative = String(absolute.dropFirst(rootPrefix.count))
        guard relative.utf8.count <= RelativePath.maximumLength,
            !relative.split(separator: "/").contains(where: { $0.hasPrefix(ShareDirectory.reservedPrefix) }),
            filter.isMirrored(relative, isDirectory: true)
        else { return nil }
        return relative
    }

    /// Whether `absolute` is the root or one of the directories above it: renaming it moves the whole share.
    func holdsRoot(_ absolute: String) -> Bool {
        absolute == rootPath || rootPrefix.hasPrefix(absolute.hasSuffix("/") ? absolute : absolute + "/")
    }
}
