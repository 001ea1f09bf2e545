#if canImport(Glibc)
import Glibc
#endif
import CLinux
import NIOConcurrencyHelpers
import UnderstudyCore
import UnderstudyFileSystem

/// One fanotify group per mount for the whole process, shared by every share watched on it: each event is read,
/// and its directory's path found, once, then handed to the `FanotifyWatcher`s whose trees it falls in.
///
/// The group marks the mount's whole file system (`FAN_MARK_FILESYSTEM`), and handles are opened through a
/// directory of that mount, so paths come out as the watchers name their roots. A hub lives while a watcher holds
/// it: the last one to let go ends its thread and closes its descriptors.
final class FanotifyHub: @unchecked Sendable {
    static let bufferSize = 64 * 1024
    /// Directories whose paths are kept between events; the cache starts over when it outgrows this.
    static let cachedDirectories = 16384

    private static let hubs = NIOLockedValueBox<[Int64: FanotifyHub]>([:])

    let mountID: Int64
    let fanotifyDescriptor: Int32
    /// A directory of the mount, through which handles are opened.
    let mountDescriptor: Int32
    private let wakePipe: WakePipe

    private struct Shared {
        var holders = 0
        var watchers: [ObjectIdentifier: FanotifyWatcher] = [:]
        /// Bumped whenever the watchers change: what is cached about directories was judged against older roots.
        var version = 0
        var thread: pthread_t?
        var stopRequested = false
        /// The last holder let go from the reading thread itself: the thread closes the descriptors as it ends.
        var threadCloses = false
    }

    private let shared = NIOLockedValueBox(Shared())

    // The reading thread's own.
    /// A directory as the reading thread last found it.
    struct Directory {
        var absolute: String
        /// Inside a watcher's tree, or above one (its rename or removal moves a tree): only then do its events
        /// matter to anyone.
        var relevant: Bool
        /// The `version` of the watchers `relevant` was judged against.
        var version: Int
    }

    /// Directory handle → where it is now. Emptied when any directory is renamed or removed: see `forgetDirectories`.
    private var directories: [[UInt8]: Directory] = [:]
    /// The watchers' roots as the reading thread last took them, and their version.
    var roots: [String] = []
    var rootsVersion = -1
    private var pathBuffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)

    /// The hub of the mount `root` (an absolute path with symlinks resolved) is on, made with its mark when there is
    /// none yet; the caller holds it until `release()`. Throws when fanotify cannot watch that mount.
    static func hold(root: String) throws(FileSystemError) -> FanotifyHub {
        let mountID = understudy_mount_id(root)
        guard mountID >= 0 else {
            throw FileSystemError(operation: "statx (mount id)", path: root, errno: Int32(-mountID))
        }
        let result: Result<FanotifyHub, FileSystemError> = hubs.withLockedValue { hubs in
            if let hub = hubs[mountID] {
                hub.shared.withLockedValue { $0.holders += 1 }
                return .success(hub)
            }
            do throws(FileSystemError) {
                let hub = try FanotifyHub(mountID: mountID, root: root)
                hub.shared.withLockedValue { $0.holders = 1 }
                hubs[mountID] = hub
                return .success(hub)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private init(mountID: Int64, root: String) throws(FileSystemError) {
        self.mountID = mountID
        let fd = understudy_fanotify_init()
        guard fd >= 0 else { throw FileSystemError(operation: "fanotify_init", path: "", errno: -fd) }
        let marked = understudy_fanotify_mark_filesystem(fd, root)
        guard marked == 0 else {
            close(fd)
            throw FileSystemError(operation: "fanotify_mark (whole file system)", path: root, errno: -marked)
        }
        let mount = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard mount >= 0 else {
            let error = FileSystemError.errno("open", root)
            close(fd)
            throw error
        }
        let handles = understudy_fanotify_check_handles(mount, root)
        guard handles == 0 else {
            close(fd)
            close(mount)
            // EPERM: no CAP_DAC_READ_SEARCH; every event's directory would stay unknown.
            throw FileSystemError(operation: "open_by_handle_at (finding paths of events)", path: root, errno: -handles)
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

    /// Lets go of the hub; the last holder stops its thread and closes it.
    func release() {
        let last = Self.hubs.withLockedValue { hubs -> Bool in
            let remaining = shared.withLockedValue { state -> Int in
                state.holders -= 1
                return state.holders
            }
            guard remaining == 0 else { return false }
            hubs[mountID] = nil
            return true
        }
        guard last else { return }
        let (thread, fromThread) = shared.withLockedValue { state -> (pthread_t?, Bool) in
            state.stopRequested = true
            let fromThread = state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
            state.threadCloses = fromThread
            return (state.thread, fromThread)
        }
        if let thread {
            wakePipe.wake()
            if fromThread {
                pthread_detach(thread)  // the last watcher stopped from its own callback: the loop closes up
                return
            }
            pthread_join(thread, nil)
        }
        closeDescriptors()
    }

    /// Starts handing events to `watcher` (and starts the thread with the first one).
    func add(_ watcher: FanotifyWatcher) throws(FileSystemError) {
        let result: Result<Void, FileSystemError> = shared.withLockedValue { state in
            state.watchers[ObjectIdentifier(watcher)] = watcher
            state.version += 1
            guard state.thread == nil else { return .success(()) }
            discardQueued()
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let created = pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<FanotifyHub>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
            guard created == 0 else {
                Unmanaged<FanotifyHub>.fromOpaque(context).release()
                state.watchers[ObjectIdentifier(watcher)] = nil
                return .failure(FileSystemError(operation: "start fanotify thread", path: "", errno: created))
            }
            state.thread = thread
            return .success(())
        }
        try result.get()
    }

    /// Stops handing events to `watcher`.
    func remove(_ watcher: FanotifyWatcher) {
        shared.withLockedValue { state in
            if state.watchers.removeValue(forKey: ObjectIdentifier(watcher)) != nil { state.version += 1 }
        }
    }

    /// Whether the caller is the hub's reading thread (a watcher stopped from its own callback).
    var isReadingThread: Bool {
        guard let thread = shared.withLockedValue({ $0.thread }) else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    private func closeDescriptors() {
        close(fanotifyDescriptor)
        close(mountDescriptor)
        wakePipe.close()
    }

    /// What the mark queued before the first watcher started is nobody's.
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

    private func run() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        var descriptors = [
            pollfd(fd: fanotifyDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while !shared.withLockedValue({ $0.stopRequested }) {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno != EINTR { usleep(100_000) }
                continue
            }
            guard descriptors[0].revents != 0 else { continue }
            let (current, version) = shared.withLockedValue { (Array($0.watchers.values), $0.version) }
            if version != rootsVersion {
                roots = current.map(\.rootPath)
                rootsVersion = version
            }
            // Everything queued now goes out as one batch per watcher, so that a burst is not cut into many.
            for _ in 0..<64 {
                let count = read(fanotifyDescriptor, buffer, Self.bufferSize)
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { break }
                    // ENOMEM and the like: what was queued may be lost; every tree is compared again.
                    for watcher in current { watcher.receive(.overflow) }
                    usleep(100_000)
                    break
                }
                if count == 0 { break }
                handleEvents(UnsafeRawBufferPointer(start: buffer, count: count), for: current)
            }
            for watcher in current { watcher.deliver() }
        }
        if shared.withLockedValue({ $0.threadCloses }) { closeDescriptors() }
    }

    /// The directory a handle names, as it is now; nil when it no longer exists (its parent's event covers it) or
    /// its path is not UTF-8 (never mirrored, and not above a root either).
    func directory(_ handle: UnsafeRawPointer, length: UInt32) -> Directory? {
        let key = Array(UnsafeRawBufferPointer(start: handle, count: Int(length)))
        if var known = directories[key] {
            if known.version != rootsVersion {
                known.relevant = isRelevant(known.absolute)
                known.version = rootsVersion
                directories[key] = known
            }
            return known
        }
        let count = understudy_fanotify_path(mountDescriptor, handle, length, &pathBuffer, pathBuffer.count)
        guard count >= 0 else { return nil }
        let absolute = pathBuffer.withUnsafeBufferPointer { pointer in
            String(validating: UnsafeRawBufferPointer(start: pointer.baseAddress, count: count), as: UTF8.self)
        }
        guard let absolute else { return nil }
        let found = Directory(absolute: absolute, relevant: isRelevant(absolute), version: rootsVersion)
        if directories.count >= Self.cachedDirectories { directories.removeAll(keepingCapacity: true) }
        directories[key] = found
        return found
    }

    /// Forgets every directory's path: a directory was renamed or removed, and the paths below it changed.
    func forgetDirectories() {
        directories.removeAll(keepingCapacity: true)
    }

    /// Whether `absolute` is in a watcher's tree or above one.
    private func isRelevant(_ absolute: String) -> Bool {
        if absolute == "/" { return true }
        return roots.contains { root in
            root == absolute || root == "/" || absolute.hasPrefix(root + "/") || root.hasPrefix(absolute + "/")
        }
    }
}
