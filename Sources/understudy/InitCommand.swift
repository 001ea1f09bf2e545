import ArgumentParser
import Foundation
import UnderstudyCertificates
import UnderstudyCore
import UnderstudyNode

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the cluster's CA and a certificate for every node of the configuration.",
        discussion:
            "Idempotent: an existing CA is never replaced; nodes added later get certificates from the same CA. Copy the certificates directory to every node (each node needs ca.pem and its own <node>.pem and <node>-key.pem)."
    )

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = try options.load()
        let store = CertificateStore(directory: configuration.certificatesDirectory)
        let report = try store.initialize(
            cluster: configuration.cluster, nodes: configuration.nodes.keys.sorted(), now: Date())
        print("certificates in \(configuration.certificatesDirectory):")
        print(report)
    }
}
