import ArgumentParser
import Foundation
import UnderstudyControl
import UnderstudyCore
import UnderstudyNode

struct AdoptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adopt",
        abstract: "Let the standby mirror into a replica directory that already holds files.",
        discussion: """
            The standby never mirrors into a non-empty directory it did not fill itself: the first sync would delete \
            what the source lacks. Say what to do with what is there: --keep mirrors over it (files equal to the \
            source's are not sent again; files the source lacks are deleted, or kept in the history when it is on), \
            --move-aside moves the directory to a sibling named REPLICA.understudy-aside-TIME and starts empty. Run it \
            on the standby; it waits for the first sync.
            """
    )

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The share, as GROUP/SHARE.") var share: String
    @Flag(name: .long, help: "Mirror over what the replica holds.") var keep = false
    @Flag(name: .long, help: "Move what the replica holds to a sibling directory first.") var moveAside = false
    @Option(name: .long, help: "The node to ask (default: the only node, or the one named like this host).")
    var node: String?

    func validate() throws {
        guard keep != moveAside else {
            throw ValidationError(
                "give exactly one of --keep (mirror over what the replica holds) and --move-aside (move it aside first)"
            )
        }
    }

    func run() throws {
        let (client, _) = try ControlClient.forNode(node, options: options)
        let response = try client.send(
            ControlRequest.adopt(share: share, mode: keep ? .keep : .moveAside), waitingUpTo: 0)
        if let message = response.message { print(message) }
        for result in response.syncResults ?? [] {
            print(
                "\(result.group)/\(result.share): \(result.ok ? "in sync" : "FAILED")\(result.error.map { " — \($0)" } ?? "")"
            )
        }
        if !response.ok { throw CommandError(response.error ?? "adopt failed") }
    }
}
