/// `recipe` of `[groups.NAME]`: a recipe's parts fill the keys the group does not set itself.
extension ConfigurationValidator {
    mutating func applyRecipe(_ table: TOMLTable, _ group: inout GroupDraft, place: String) {
        guard
            let (name, line) = readString(
                "recipe", in: table, place: place, required: false, expectation: "a recipe's name, like \"nginx\"")
        else {
            if table["recipe"] != nil { group.recipe = nil }
            return
        }
        guard let recipe = Recipe.all[name] else {
            var message = "\(Self.subject("recipe", place)) is '\(name)'; the recipes are \(Recipe.names)"
            if let suggestion = Self.suggestion(for: name, among: Array(Recipe.all.keys)) {
                message += "; did you mean '\(suggestion)'?"
            }
            report(.invalidValue, line, message)
            group.recipe = nil
            return
        }
        group.recipe = .some(name)
        guard var takeover = group.takeover else { return }
        if table["start"] == nil { takeover.startScripts = recipe.start }
        if table["stop"] == nil { takeover.stopScripts = recipe.stop }
        if table["checks"] == nil {
            guard let address = takeover.serviceAddress else {
                report(
                    .invalidValue, line,
                    "group '\(group.name)' uses recipe '\(name)', whose checks reach the service at its service_address; set service_address (and interface), or give the group its own [[groups.\(group.name).checks]]"
                )
                group.recipe = nil
                return
            }
            let share = (group.shares.first?.name).flatMap { $0 } ?? ""
            takeover.checks = recipe.checks(group: group.name, address: address, share: share)
        }
        group.takeover = takeover
        if var proof = group.proof {
            if table["proof_private"] == nil { proof.privateDirectories = recipe.proofPrivate }
            if table["syntax_check"] == nil { proof.syntaxCheck = recipe.syntaxCheck }
            if table["config_files"] == nil { proof.configFiles = recipe.configFiles }
            group.proof = proof
        }
    }
}
