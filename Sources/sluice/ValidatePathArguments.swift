/// The path operands of `sluice validate`, taken out of the command line before
/// swift-argument-parser sees it.
///
/// Why: the parser's handling of positional arguments grows quadratically with their number
/// (each value is appended through `ParsedValues.set` with `InputOrigin` set unions, and
/// `SplitArguments.remove` rescans the input), so 10,000 file names took 2.6 s to parse
/// against 0.3 s to validate them. CI tools pass changed files as arguments (pre-commit,
/// `xargs`), so `sluice validate` splits its operands out in one linear pass, lets the
/// parser read only the short remainder (options, `--help`, errors as before) and hands the
/// operands to ``Sluice/Validate`` directly.
///
/// The split follows the parser's own rules, so the command line means exactly what it did:
/// an argument is an operand when it does not start with `-` (or is `-` or empty) and is not
/// the value of a value-taking option (`--format json`, `--files-from F`, `--config F`; a
/// value never starts with `-` unless it is `-`); everything after the first `--` is an
/// operand. Options, attached values (`--format=json`) and anything unknown stay in the
/// remainder, where the parser accepts or rejects them as before.
struct ValidatePathArguments: Equatable {
    /// The arguments for the parser: the subcommand name and its options.
    var remainder: [String]
    /// The operands, in command-line order.
    var paths: [String]

    /// Long options of `validate` that take the next argument as their value.
    static let valueOptions: Set<String> = ["--format", "--files-from", "--config"]

    /// Splits `arguments` (without the program name) when they run `sluice validate` with at
    /// least one operand; nil otherwise, and the parser reads them unchanged.
    init?(_ arguments: [String]) {
        guard arguments.first == "validate" else { return nil }
        var remainder = [arguments[0]]
        var paths: [String] = []
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                paths += arguments[index...]
                break
            }
            guard Self.isValue(argument) else {
                remainder.append(argument)
                if Self.valueOptions.contains(argument), index < arguments.count, Self.isValue(arguments[index]) {
                    remainder.append(arguments[index])
                    index += 1
                }
                continue
            }
            paths.append(argument)
        }
        guard !paths.isEmpty else { return nil }
        self.remainder = remainder
        self.paths = paths
    }

    /// Whether the parser reads `argument` as a value rather than an option or `--`.
    static func isValue(_ argument: String) -> Bool {
        !argument.hasPrefix("-") || argument == "-"
    }
}
