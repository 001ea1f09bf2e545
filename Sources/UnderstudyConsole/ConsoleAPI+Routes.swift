import Foundation
import Hummingbird
import NIOCore
import UnderstudyControl
import UnderstudyCore

/// The API's resources and actions; each becomes one `ControlRequest` (or reads the status report), so the API
/// and the CLI cannot disagree.
extension ConsoleAPI {
    func routes(on router: Router<ConsoleContext>) {
        let api = router.group("api/v1")
        api.post("login") { request, context in await login(request, context) }
        api.post("logout") { request, _ in await logout(request) }
        api.get("whoami") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                let caller = try caller(request, needs: .viewer)
                struct WhoAmI: Encodable {
                    let name: String
                    let role: ConsoleRole
                    /// A browser session's CSRF token, so that a reloaded page can go on changing things.
                    let csrfToken: String?
                }
                return APIReply.json(
                    WhoAmI(name: caller.origin.name, role: caller.role, csrfToken: caller.csrf), status: .ok)
            }
        }
        readRoutes(api)
        actionRoutes(api)
        accountRoutes(api)
        api.post("control") { request, _ in await control(request) }
        api.get("events") { request, _ in await eventsPage(request) }
        api.get("events/stream") { request, _ in await eventStream(request) }
    }

    /// `POST /api/v1/control`: any request of the typed API, as the control socket takes it (`understudy --url`).
    func control(_ request: Request) async -> Response {
        await Self.answering { () throws(APIFailure) -> Response in
            _ = try caller(request, needs: .viewer)
            var http = request
            let body: ByteBuffer
            do {
                body = try await http.collectBody(upTo: APIBodies.limit)
            } catch {
                throw APIFailure.badRequest("the body could not be read, or is larger than 64 KiB")
            }
            let asked: ControlRequest
            do {
                asked = try JSONDecoder.control.decode(ControlRequest.self, from: Data(body.readableBytesView))
            } catch let refusal as ControlRequestError {
                throw APIFailure(status: .badRequest, code: refusal.code.rawValue, message: refusal.message)
            } catch {
                throw APIFailure.badRequest(
                    "the body must be one control request, like {\"version\": \(ControlRequest.version), \"command\": \"status\"} (\(APIBodies.reason(error)))"
                )
            }
            return await perform(asked, for: request)
        }
    }

    private func readRoutes(_ api: RouterGroup<ConsoleContext>) {
        api.get("status") { request, _ in await perform(.status, for: request) }
        api.get("cluster") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                let report = node.report()
                struct Cluster: Encodable {
                    let cluster: String
                    let node: String
                    let version: String
                    let startedAt: Date
                    let nodes: [ClusterNodeView]
                    let groups: [String]
                }
                return APIReply.json(
                    Cluster(
                        cluster: report.cluster, node: report.node, version: report.version,
                        startedAt: report.startedAt,
                        nodes: nodes(), groups: report.groups.map(\.name)), status: .ok)
            }
        }
        api.get("nodes") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                return APIReply.json(nodes(), status: .ok)
            }
        }
        api.get("links") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                return APIReply.json(node.report().failover?.links ?? [], status: .ok)
            }
        }
        api.get("checks") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                return APIReply.json(node.report().failover?.checks ?? [], status: .ok)
            }
        }
        api.get("groups") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                return APIReply.json(node.report().groups, status: .ok)
            }
        }
        api.get("groups/:group") { request, context in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .viewer)
                let name = context.parameters.get("group") ?? ""
                let report = node.report()
                guard let group = report.groups.first(where: { $0.name == name }) else {
                    throw APIFailure(
                        status: .notFound, code: "unknown-group", message: "node \(report.node) has no group '\(name)'")
                }
                struct GroupView: Encodable {
                    let group: GroupStatus
                    let failover: GroupFailoverStatus?
                }
                let failover = report.failover?.groups.first { $0.group == name }
                return APIReply.json(GroupView(group: group, failover: failover), status: .ok)
            }
        }
        api.get("conflicts") { request, _ in
            await perform(.conflicts(group: request.uri.queryParameters.get("group")), for: request)
        }
        api.get("archives") { request, _ in
            let query = request.uri.queryParameters
            return await perform(.archives(group: query.get("group"), share: query.get("share")), for: request)
        }
        api.get("history") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                guard let path = request.uri.queryParameters.get("path"), !path.isEmpty else {
                    throw APIFailure.badRequest("history needs ?path=GROUP/SHARE/PATH")
                }
                return await perform(.history(path: path), for: request)
            }
        }
    }

    private func actionRoutes(_ api: RouterGroup<ConsoleContext>) {
        api.post("groups/:group/sync") { request, context in
            await perform(.sync(group: context.parameters.get("group")), for: request)
        }
        for verb in ["failover", "switchover", "failback"] {
            api.post("groups/:group/\(verb)") { request, context in
                await Self.answering { () throws(APIFailure) -> Response in
                    _ = try caller(request, needs: .operator)
                    let group = context.parameters.get("group") ?? ""
                    let body = try await APIBodies.decode(APIBodies.Force.self, from: request)
                    let force = body.force ?? false
                    let dryRun = body.dryRun ?? false
                    let asked: ControlRequest =
                        switch verb {
                        case "failover": .failover(group: group, force: force)
                        case "switchover": .switchover(group: group, force: force, dryRun: dryRun)
                        default: .failback(group: group, force: force, dryRun: dryRun)
                        }
                    return await perform(asked, for: request)
                }
            }
        }
        api.post("groups/:group/maintenance") { request, context in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .operator)
                struct Switch: Decodable { let on: Bool }
                let body = try await APIBodies.decode(Switch.self, from: request)
                return await perform(
                    .maintenance(group: context.parameters.get("group") ?? "", on: body.on), for: request)
            }
        }
        api.post("archives") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .operator)
                let body = try await APIBodies.decode(APIBodies.ArchiveNow.self, from: request)
                return await perform(
                    .archiveNow(group: body.group, share: body.share, schedule: body.schedule), for: request)
            }
        }
        api.post("restore") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .operator)
                let body = try await APIBodies.decode(APIBodies.Restore.self, from: request)
                return await perform(
                    .restore(
                        path: body.path, archive: body.archive, at: body.at, to: body.to,
                        inPlace: body.inPlace ?? false, overwrite: body.overwrite ?? false),
                    for: request)
            }
        }
        api.post("conflicts/resolve") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .operator)
                let body = try await APIBodies.decode(APIBodies.Resolve.self, from: request)
                guard let keep = ConflictKeep(rawValue: body.keep) else {
                    throw APIFailure.badRequest(
                        "keep must be local, remote or both, not \(String(reflecting: body.keep))")
                }
                return await perform(.conflictResolve(path: body.path, keep: keep), for: request)
            }
        }
    }

    private func accountRoutes(_ api: RouterGroup<ConsoleContext>) {
        api.get("users") { request, _ in await perform(.users, for: request) }
        api.post("reload") { request, _ in await perform(.reload, for: request) }
        api.post("users") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .admin)
                let body = try await APIBodies.decode(APIBodies.NewUser.self, from: request)
                let role = try APIBodies.role(body.role)
                return await perform(.userAdd(name: body.name, role: role, password: body.password), for: request)
            }
        }
        api.put("users/:name/password") { request, context in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .admin)
                let body = try await APIBodies.decode(APIBodies.Password.self, from: request)
                return await perform(
                    .userPassword(name: context.parameters.get("name") ?? "", password: body.password), for: request)
            }
        }
        api.delete("users/:name") { request, context in
            await perform(.userRemove(name: context.parameters.get("name") ?? ""), for: request)
        }
        api.get("tokens") { request, _ in await perform(.tokens, for: request) }
        api.post("tokens") { request, _ in
            await Self.answering { () throws(APIFailure) -> Response in
                _ = try caller(request, needs: .admin)
                let body = try await APIBodies.decode(APIBodies.NewToken.self, from: request)
                let role = try APIBodies.role(body.role)
                if let expiresIn = body.expiresIn, !(expiresIn > 0 && expiresIn.isFinite) {
                    throw APIFailure.badRequest("expiresIn must be a positive number of seconds")
                }
                return await perform(.tokenCreate(name: body.name, role: role, expiresIn: body.expiresIn), for: request)
            }
        }
        api.delete("tokens/:id") { request, context in
            await perform(.tokenRevoke(id: context.parameters.get("id") ?? ""), for: request)
        }
    }
}
