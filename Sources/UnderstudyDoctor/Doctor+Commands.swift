import UnderstudyCore

/// The commands the groups run on this node (start, stop, fence, command checks, the isolation check): each
/// program must exist here, since a takeover that finds none fails at the one moment that matters.
extension Doctor {
    func commands() -> [DoctorFinding] {
        var commands: [(what: String, command: String)] = []
        if let check = node.isolationCheck, case .command(let command) = check.probe {
            commands.append(("isolation check", command))
        }
        for group in groups {
            commands += group.takeover.startScripts.map { ("\(group.name) start", $0) }
            commands += group.takeover.stopScripts.map { ("\(group.name) stop", $0) }
            if let fence = group.takeover.fence { commands.append(("\(group.name) fence", fence)) }
            for check in group.takeover.checks {
                if case .command(let command) = check.probe {
                    commands.append(("\(group.name) check \(check.name)", command))
                }
            }
        }
        guard !commands.isEmpty else { return [] }
        let missing = commands.filter { entry in
            guard let program = Self.program(of: entry.command) else { return false }
            return !machine.isExecutable(program: program)
        }
        if missing.isEmpty {
            return [DoctorFinding("command", .ok, "the \(commands.count) commands the groups run find their programs")]
        }
        return missing.map { entry in
            DoctorFinding(
                "command", .problem,
                "\(entry.what): `\(Self.program(of: entry.command) ?? "")` is not an executable here (in `\(entry.command)`)",
                remedy: "install it, or give its full path")
        }
    }

    /// Words the shell runs itself: nothing to find on PATH.
    static let shellWords: Set<String> = [
        "cd", "exit", "export", "set", "unset", ".", "source", "eval", "exec", ":", "true", "false", "echo", "printf",
        "test", "[", "command", "if", "for", "while", "until", "case", "!", "{", "(", "umask", "trap", "wait", "sleep",
        "kill", "read", "local", "return", "shift",
    ]

    /// The program a shell command line runs: its first word after any `NAME=value` assignments, unquoted; nil for
    /// an empty line and for the shell's own words (`cd`, `exit`, `if` …).
    public static func program(of command: String) -> String? {
        var words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        while let first = words.first, first.contains("="), !first.hasPrefix("/"), !first.hasPrefix("\""),
            !first.hasPrefix("'")
        {
            words.removeFirst()
        }
        guard let first = words.first.map({ $0.trimmingCharacters(in: ["\"", "'"]) }), !first.isEmpty,
            !shellWords.contains(first), !first.hasPrefix("(")
        else { return nil }
        return first
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
