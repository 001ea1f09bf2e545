/// `[nodes.NAME]` tables: `address` (required), `state_dir`, `control_socket`, `links`, `isolation_check`, `console`,
/// `change_capture`.
extension ConfigurationValidator {
    static let nodeKeys = [
        "address", "state_dir", "control_socket", "links", "isolation_check", "console", "change_capture",
    ]
    /// Linux's `sun_path` holds 108 bytes with the terminating NUL, but SwiftNIO accepts at most 103 bytes (the portable limit: BSD's sun_path is 104 with its NUL), below Linux's 107.
    static let maximumSocketPathLength = 103

    /// A node as read, with the line of each value, kept for the checks across nodes.
    struct NodeDraft {
        var name: String
        var line: Int
        var nameIsValid = false
        var address: PeerAddress?
        var addressLine: Int
        var stateDirectory: String?
        var stateDirectoryLine: Int
        var stateDirectoryIsDefault = true
        var controlSocket: String?
        var controlSocketLine: Int
        var controlSocketIsDefault = true
        var links: [NodeLink]? = []
        var isolationCheck: CheckConfiguration?? = .some(nil)
        var console: PeerAddress?? = .some(nil)
        /// The line of `console`, else of the table (a console from `[console] listen`).
        var consoleLine: Int
        var changeCapture: ChangeCaptureMethod? = .auto

        var built: NodeConfiguration? {
            guard nameIsValid, let address, let stateDirectory, let controlSocket, let links, let isolationCheck,
                let console, let changeCapture
            else {
                return nil
            }
            return NodeConfiguration(
                name: name, address: address, stateDirectory: stateDirectory, controlSocket: controlSocket,
                links: links, isolationCheck: isolationCheck, console: console, changeCapture: changeCapture)
        }
    }

    /// The nodes in file order; invalid ones are kept (with nil fields) so that their names still
    /// count as nodes when groups refer to them.
    mutating func readNodes(_ root: TOMLTable) -> [NodeDraft] {
        guard let value = root["nodes"] else {
            report(
                .noNodes, root.line, "no nodes are defined; add a [nodes.NAME] table with an 'address' for each machine"
            )
            return []
        }
        guard let table = value.table else {
            report(
                .wrongType, value.line,
                "'nodes' must be a table of nodes, like [nodes.alpha], not \(value.typeDescription)")
            return []
        }
        if table.isEmpty {
            report(
                .noNodes, table.line,
                "no nodes are defined in [nodes]; add a [nodes.NAME] table with an 'address' for each machine")
            return []
        }
        var nodes: [NodeDraft] = []
        for entry in table.entries {
            guard let nodeTable = entry.value.table else {
                report(
                    .wrongType, entry.value.line,
                    "'\(entry.key)' in [nodes] must be a table, like \(Self.header("nodes", entry.key)) with an 'address', not \(entry.value.typeDescription)"
                )
                continue
            }
            nodes.append(readNode(entry.key, nodeTable))
        }
        return nodes
    }

    private mutating func readNode(_ name: String, _ table: TOMLTable) -> NodeDraft {
        let place = Self.header("nodes", name)
        var node = NodeDraft(
            name: name, line: table.line, addressLine: table.line, stateDirectoryLine: table.line,
            controlSocketLine: table.line, consoleLine: table.line)
        node.nameIsValid = Self.isValidName(name, allowDot: true)
        if !node.nameIsValid {
            report(.invalidName, table.line, "node name '\(name)' is invalid: \(Self.nameRule)")
        } else if name.utf8.count > 63 || name == "ca" || name.hasSuffix("-key") {
            // Node names become certificate file names (<node>.pem, <node>-key.pem) and DNS names.
            node.nameIsValid = false
            report(
                .invalidName, table.line,
                "node name '\(name)' is invalid: it would clash with the certificate files (ca, *-key) or exceed 63 characters"
            )
        }
        checkKeys(of: table, allowed: Self.nodeKeys, place: place)

        if let (text, line) = readString(
            "address", in: table, place: place, required: true, expectation: "a string like \"alpha.example.com:7700\"")
        {
            node.addressLine = line
            do throws(PeerAddressError) {
                node.address = try PeerAddress.parse(text)
            } catch {
                report(.invalidAddress, line, "\(Self.subject("address", place)): \(error)")
            }
        }

        if table["state_dir"] != nil {
            node.stateDirectoryIsDefault = false
            if let (directory, line) = readAbsolutePath("state_dir", in: table, place: place, required: false) {
                node.stateDirectory = directory
                node.stateDirectoryLine = line
            }
        } else {
            node.stateDirectory = NodeConfiguration.defaultStateDirectory
        }

        if table["control_socket"] != nil {
            node.controlSocketIsDefault = false
            if let (socket, line) = readAbsolutePath("control_socket", in: table, place: place, required: false) {
                node.controlSocket = socket
                node.controlSocketLine = line
            }
        } else if let stateDirectory = node.stateDirectory {
            node.controlSocket = NodeConfiguration.defaultControlSocket(stateDirectory: stateDirectory)
            node.controlSocketLine = node.stateDirectoryLine
        }

        if let socket = node.controlSocket, socket.utf8.count > Self.maximumSocketPathLength {
            let advice =
                node.controlSocketIsDefault
                ? "set a shorter 'control_socket' or 'state_dir'"
                : "choose a shorter 'control_socket'"
            report(
                .invalidPath, node.controlSocketLine,
                "control socket path '\(socket)' of node '\(name)' is \(socket.utf8.count) bytes long, but Unix socket paths are limited to \(Self.maximumSocketPathLength) bytes; \(advice)"
            )
            node.controlSocket = nil
        }
        node.links = readLinks(table, node: name)
        node.isolationCheck = readIsolationCheck(table, node: name)
        if let console = table["console"] {
            node.consoleLine = console.line
            node.console = readListenAddress("console", in: table, place: place).map { .some($0) } ?? .none
        }
        node.changeCapture = readChoice(
            "change_capture", table, place: place, choices: ChangeCaptureMethod.allCases.map(\.rawValue),
            default: ChangeCaptureMethod.auto.rawValue
        ).flatMap(ChangeCaptureMethod.init(rawValue:))
        return node
    }
}
