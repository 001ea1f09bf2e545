/// `[console]` (`listen`, `certificate`, `key`) and each node's `console`: where the HTTPS API and web console
/// listen. Nodes on one machine must not listen on one port, nor on a node's peer port.
extension ConfigurationValidator {
    static let consoleKeys = ["listen", "certificate", "key"]

    mutating func readConsole(_ root: TOMLTable) -> ConsoleConfiguration? {
        guard let value = root["console"] else { return ConsoleConfiguration() }
        guard let table = value.table else {
            report(
                .wrongType, value.line,
                "'console' must be a table, like [console] with listen = \"0.0.0.0:8443\", not \(value.typeDescription)"
            )
            return nil
        }
        let place = "[console]"
        checkKeys(of: table, allowed: Self.consoleKeys, place: place)
        var console = ConsoleConfiguration()
        var valid = true
        if table["listen"] != nil {
            if let address = readListenAddress("listen", in: table, place: place) {
                console.listen = address
            } else {
                valid = false
            }
        }
        let directory = ConfigPath.directory(of: path)
        for key in ["certificate", "key"] {
            guard let (file, line) = readString(key, in: table, place: place, required: false) else { continue }
            if file.isEmpty {
                report(
                    .invalidPath, line,
                    "'\(key)' in [console] must not be empty; leave 'certificate' and 'key' out to use the node's own certificate"
                )
                valid = false
            } else if key == "key" {
                console.key = ConfigPath.resolve(file, against: directory)
            } else {
                console.certificate = ConfigPath.resolve(file, against: directory)
            }
        }
        if (table["certificate"] == nil) != (table["key"] == nil) {
            let (given, missing) = table["certificate"] == nil ? ("key", "certificate") : ("certificate", "key")
            report(
                .missingKey, table[given]?.line ?? table.line,
                "[console] has a '\(given)' but no '\(missing)'; give both (PEM files), or neither to use the node's own certificate"
            )
            valid = false
        }
        return valid ? console : nil
    }

    /// "ADDR:PORT" to listen on: a host name or address (0.0.0.0 and [::] for every address) and a port.
    mutating func readListenAddress(_ key: String, in table: TOMLTable, place: String) -> PeerAddress? {
        guard
            let (text, line) = readString(
                key, in: table, place: place, required: false, expectation: "a string like \"0.0.0.0:8443\"")
        else { return nil }
        do throws(PeerAddressError) {
            return try PeerAddress.parse(text)
        } catch {
            report(
                .invalidAddress, line,
                "\(Self.subject(key, place)): invalid address '\(text)': \(error.reason); write ADDR:PORT, like '0.0.0.0:8443' or '[::]:8443'"
            )
            return nil
        }
    }

    /// Two nodes of one machine whose consoles would take one port, or a console on a node's own peer port.
    mutating func checkConsoleAddresses(_ nodes: [NodeDraft], console: ConsoleConfiguration?) {
        var taken: [(machine: String, port: Int, node: String)] = []
        for node in nodes {
            guard let address = node.address, let listen = (node.console ?? nil) ?? console?.listen else { continue }
            let line = node.consoleLine
            let machine = address.machineKey
            if listen.port == address.port {
                report(
                    .conflict, line,
                    "the console of node '\(node.name)' would listen on port \(listen.port), the port of its own address '\(address)'; choose another port"
                )
            } else if let other = nodes.first(where: {
                $0.name != node.name && $0.address?.machineKey == machine && $0.address?.port == listen.port
            }) {
                report(
                    .conflict, line,
                    "the console of node '\(node.name)' would listen on port \(listen.port), the port of node '\(other.name)' on the same machine; choose another port"
                )
            } else if let earlier = taken.first(where: { $0.machine == machine && $0.port == listen.port }) {
                report(
                    .conflict, line,
                    "the console of node '\(node.name)' would listen on port \(listen.port), as the console of node '\(earlier.node)' on the same machine (\(address.host)); set 'console = \"ADDR:PORT\"' in [nodes.\(node.name)] to give each its own port"
                )
            }
            taken.append((machine, listen.port, node.name))
        }
    }
}
