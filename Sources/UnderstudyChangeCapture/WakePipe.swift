#if canImport(Glibc)
import Glibc
#endif
import UnderstudyFileSystem

/// A non-blocking pipe whose read end a watcher's thread polls beside its kernel descriptor, so that `stop()` can
/// wake it.
struct WakePipe {
    let readDescriptor: Int32
    let writeDescriptor: Int32

    init() throws(FileSystemError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw .errno("pipe", "") }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    func close() {
        Glibc.close(readDescriptor)
        Glibc.close(writeDescriptor)
    }
}
