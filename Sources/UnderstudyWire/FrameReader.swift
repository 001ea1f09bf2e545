import NIOCore
import UnderstudyCore

/// Reads a frame's fields with bounds checks; every failure names the message and the field.
struct FrameReader {
    var buffer: ByteBuffer
    /// Static, so decoding a frame costs no string formatting; used only in error messages.
    let messageName: StaticString

    var remaining: Int { buffer.readableBytes }

    mutating func integer<T: FixedWidthInteger>() throws(WireError) -> T {
        guard let value: T = buffer.readInteger() else {
            throw WireError(.malformedFrame, "\(messageName): frame ends inside a \(T.self) field")
        }
        return value
    }

    mutating func bytes(_ field: String) throws(WireError) -> [UInt8] {
        let count: UInt32 = try integer()
        guard Int(count) <= buffer.readableBytes, let bytes = buffer.readBytes(length: Int(count)) else {
            throw WireError(
                .malformedFrame, "\(messageName): \(field) claims \(count) bytes but \(buffer.readableBytes) remain")
        }
        return bytes
    }

    mutating func string(_ field: String) throws(WireError) -> String {
        let count: UInt32 = try integer()
        guard Int(count) <= buffer.readableBytes, let view = buffer.readSlice(length: Int(count)) else {
            throw WireError(
                .malformedFrame, "\(messageName): \(field) claims \(count) bytes but \(buffer.readableBytes) remain")
        }
        guard let text = view.getString(at: view.readerIndex, length: view.readableBytes),
            text.utf8.count == Int(count), String(validating: view.readableBytesView, as: UTF8.self) != nil
        else {
            throw WireError(.malformedFrame, "\(messageName): \(field) is not valid UTF-8")
        }
        return text
    }

    /// A share-relative path: refused unless `RelativePath.validate` accepts it.
    mutating func path(_ field: String) throws(WireError) -> String {
        let value = try string(field)
        do {
            try RelativePath.validate(value)
        } catch {
            throw WireError(.pathRefused, "\(messageName): \(field) \(error)")
        }
        return value
    }

    mutating func attributes() throws(WireError) -> FileAttributes {
        FileAttributes(
            mode: try integer(), uid: try integer(), gid: try integer(),
            mtimeSeconds: try integer(), mtimeNanoseconds: try integer())
    }

    mutating func basis() throws(WireError) -> DeltaBasis {
        let raw: UInt8 = try integer()
        guard let basis = DeltaBasis(rawValue: raw) else {
            throw WireError(.malformedFrame, "\(messageName): unknown delta basis \(raw)")
        }
        return basis
    }

    mutating func kind() throws(WireError) -> EntryKind {
        let raw: UInt8 = try integer()
        guard let kind = EntryKind(rawValue: raw) else {
            throw WireError(.malformedFrame, "\(messageName): unknown entry kind \(raw)")
        }
        return kind
    }

    mutating func manifestEntry() throws(WireError) -> ManifestEntry {
        let path = try string("entry path")
        do {
            try RelativePath.validate(path)
        } catch {
            throw WireError(.pathRefused, "\(messageName): entry path \(error)")
        }
        let kind = try kind()
        let size: Int64 = try integer()
        let attributes = try attributes()
        let inode: UInt64 = try integer()
        let linkCount: UInt32 = try integer()
        let hasTarget: UInt8 = try integer()
        let target = hasTarget == 1 ? try string("link target") : nil
        return ManifestEntry(
            path: path, kind: kind, size: size, attributes: attributes, linkTarget: target,
            inode: inode, linkCount: linkCount)
    }

    mutating func operation() throws(WireError) -> SyncOperation {
        let tag: UInt8 = try integer()
        switch tag {
        case 1: return .removeTree(path: try path("path"))
        case 2: return .makeDirectory(path: try path("path"))
        case 3:
            let from = try path("rename source")
            let to = try path("rename target")
            let hash = try bytes("rename content hash")
            guard hash.isEmpty || hash.count == 32 else {
                throw WireError(
                    .malformedFrame, "\(messageName): rename content hash has \(hash.count) bytes, expected 32")
            }
            return .rename(from: from, to: to, contentHash: hash.isEmpty ? nil : hash)
        case 4:
            let path = try path("symlink path")
            return .makeSymlink(path: path, target: try string("symlink target"), attributes: try attributes())
        case 5: return .makeHardLink(path: try path("link path"), target: try path("link target"))
        case 6: return .setAttributes(path: try path("path"), kind: try kind(), attributes: try attributes())
        case 7: return .delete(path: try path("path"))
        case 8: return .setDirectoryAttributes(path: try path("path"), attributes: try attributes())
        default: throw WireError(.malformedFrame, "\(messageName): unknown operation \(tag)")
        }
    }

    /// The rest of the frame (a payload that runs to its end), consumed.
    mutating func rest() -> ByteBuffer {
        defer { buffer.moveReaderIndex(to: buffer.writerIndex) }
        return buffer
    }

    mutating func expectEnd() throws(WireError) {
        if buffer.readableBytes > 0 {
            throw WireError(
                .malformedFrame, "\(messageName): \(buffer.readableBytes) unexpected bytes after the last field")
        }
    }
}

extension ByteBuffer {
    mutating func writeWireString(_ text: String) {
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))
        let written = writeString(text)
        setInteger(UInt32(written), at: lengthIndex)
    }

    mutating func writeWireBytes(_ bytes: [UInt8]) {
        writeInteger(UInt32(bytes.count))
        writeBytes(bytes)
    }

    mutating func writeAttributes(_ attributes: FileAttributes) {
        writeInteger(attributes.mode)
        writeInteger(attributes.uid)
        writeInteger(attributes.gid)
        writeInteger(attributes.mtimeSeconds)
        writeInteger(attributes.mtimeNanoseconds)
    }

    mutating func writeManifestEntry(_ entry: ManifestEntry) {
        writeWireString(entry.path)
        writeInteger(entry.kind.rawValue)
        writeInteger(entry.size)
        writeAttributes(entry.attributes)
        writeInteger(entry.inode)
        writeInteger(entry.linkCount)
        if let target = entry.linkTarget {
            writeInteger(UInt8(1))
            writeWireString(target)
        } else {
            writeInteger(UInt8(0))
        }
    }

    mutating func writeOperation(_ operation: SyncOperation) {
        switch operation {
        case .removeTree(let path):
            writeInteger(UInt8(1))
            writeWireString(path)
        case .makeDirectory(let path):
            writeInteger(UInt8(2))
            writeWireString(path)
        case .rename(let from, let to, let hash):
            writeInteger(UInt8(3))
            writeWireString(from)
            writeWireString(to)
            writeWireBytes(hash ?? [])
        case .makeSymlink(let path, let target, let attributes):
            writeInteger(UInt8(4))
            writeWireString(path)
            writeWireString(target)
            writeAttributes(attributes)
        case .makeHardLink(let path, let target):
            writeInteger(UInt8(5))
            writeWireString(path)
            writeWireString(target)
        case .setAttributes(let path, let kind, let attributes):
            writeInteger(UInt8(6))
            writeWireString(path)
            writeInteger(kind.rawValue)
            writeAttributes(attributes)
        case .delete(let path):
            writeInteger(UInt8(7))
            writeWireString(path)
        case .setDirectoryAttributes(let path, let attributes):
            writeInteger(UInt8(8))
            writeWireString(path)
            writeAttributes(attributes)
        case .sendFile(let path, _, _):
            // Never sent as an operation; encode as a harmless refusal the receiver reports.
            writeInteger(UInt8(0))
            writeWireString(path)
        }
    }
}
