// Config: the cluster configuration file, from text to a checked `ClusterConfiguration`.
//
// Design: everything here is pure. The caller reads the file and passes its text and path; nothing
// touches the file system, so the same check runs in `understudy check` on a laptop and in the
// daemon at start. The text goes through our own TOML parser (`TOMLDocument`), which keeps the line
// of every value, then through `ConfigurationValidator`, which does not stop at the first problem:
// it collects every one, each as `file:line: message`, so a user fixes a file in one pass.
// Share include/exclude patterns are compiled here once (`PathFilter`) because the tree walker
// calls them for every file.

/// The entry point: configuration text in, a checked configuration or all of its problems out.
public enum ConfigurationLoader {
    /// Parses and validates `text`. `path` is used in messages and to resolve a relative
    /// `certificates` directory; pass an absolute path so that the stored directory is absolute.
    public static func load(text: String, path: String) -> Result<ClusterConfiguration, ConfigurationProblems> {
        let document: TOMLDocument
        do throws(TOMLSyntaxError) {
            document = try TOMLDocument.parse(text, path: path)
        } catch {
            let problem = ConfigurationProblem(file: path, line: error.line, code: .syntax, message: error.message)
            return .failure(ConfigurationProblems([problem]))
        }
        var validator = ConfigurationValidator(path: path)
        let configuration = validator.validate(document)
        if let configuration, validator.problems.isEmpty {
            return .success(configuration)
        }
        return .failure(ConfigurationProblems(validator.problems))
    }
}
