/// The recovery-site keys of `[groups.NAME]`: `offsite_service_address`, `offsite_interface`, `offsite_start`,
/// `offsite_stop` — what the off-site node takes over with (`RecoverySiteConfiguration`).
extension ConfigurationValidator {
    static let recoverySiteKeys = ["offsite_service_address", "offsite_interface", "offsite_start", "offsite_stop"]

    mutating func readRecoverySite(_ table: TOMLTable, group: String, place: String) -> RecoverySiteConfiguration? {
        let present = Self.recoverySiteKeys.compactMap { table[$0] }
        if table["offsite"] == nil, let first = present.first {
            report(
                .missingKey, first.line,
                "group '\(group)' says how its off-site node takes over (\(Self.recoverySiteKeys.filter { table[$0] != nil }.joined(separator: ", "))) but has no off-site node; add offsite = \"NODE\", or remove them"
            )
            return nil
        }
        var valid = true
        var site = RecoverySiteConfiguration()
        if let (text, line) = readString(
            "offsite_service_address", in: table, place: place, required: false,
            expectation: "an address like \"10.1.0.100/24\"")
        {
            do throws(ServiceAddressParseError) {
                site.serviceAddress = try ServiceAddress.parse(text)
            } catch {
                report(.invalidAddress, line, "\(Self.subject("offsite_service_address", place)): \(error.message)")
                valid = false
            }
        } else if table["offsite_service_address"] != nil {
            valid = false
        }
        if let (name, line) = readString(
            "offsite_interface", in: table, place: place, required: false,
            expectation: "an interface name like \"eth0\"")
        {
            if !Self.isInterfaceName(name) {
                report(
                    .invalidValue, line,
                    "\(Self.subject("offsite_interface", place)) is '\(name)', not an interface name (1 to 15 characters, no '/', ':' or spaces)"
                )
                valid = false
            } else if table["offsite_service_address"] == nil {
                report(
                    .invalidValue, line,
                    "\(Self.subject("offsite_interface", place)) is set but there is no 'offsite_service_address' to put on it"
                )
                valid = false
            }
            site.interface = name
        } else if table["offsite_interface"] != nil {
            valid = false
        } else if let address = table["offsite_service_address"] {
            report(
                .missingKey, address.line,
                "\(place) has an 'offsite_service_address' but no 'offsite_interface'; say which interface of the off-site node gets it, e.g. offsite_interface = \"eth0\""
            )
            valid = false
        }
        if let start = readCommands("offsite_start", table, place: place) {
            site.startScripts = start
        } else {
            valid = false
        }
        if let stop = readCommands("offsite_stop", table, place: place) {
            site.stopScripts = stop
        } else {
            valid = false
        }
        return valid ? site : nil
    }
}
