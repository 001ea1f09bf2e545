import Testing
import UnderstudyCore

/// Loads `text` as /etc/understudy/cluster.toml.
func loadConfiguration(
    _ text: String, path: String = "/etc/understudy/cluster.toml"
) -> Result<ClusterConfiguration, ConfigurationProblems> {
    ConfigurationLoader.load(text: text, path: path)
}

func configurationProblems(_ text: String) -> [ConfigurationProblem] {
    switch loadConfiguration(text) {
    case .success: return []
    case .failure(let problems): return problems.problems
    }
}

/// Expects exactly one problem, at `line`, of kind `code`, whose message contains `message`.
func expectSingleConfigurationProblem(
    _ text: String,
    line: Int,
    code: ConfigurationProblem.Code,
    _ message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let problems = configurationProblems(text)
    #expect(problems.count == 1, "\(problems)", sourceLocation: sourceLocation)
    guard let problem = problems.first else { return }
    #expect(problem.line == line, "\(problem)", sourceLocation: sourceLocation)
    #expect(problem.code == code, "\(problem)", sourceLocation: sourceLocation)
    #expect(problem.message.contains(message), "\(problem)", sourceLocation: sourceLocation)
    #expect(problem.file == "/etc/understudy/cluster.toml", sourceLocation: sourceLocation)
}
