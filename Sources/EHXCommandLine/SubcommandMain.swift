import ArgumentParser

/// `main` for a tool with subcommands (ehx-keygen, ehx-query), where
/// options may come before or after the subcommand's name:
/// `ehx-query --type alert txs` is `ehx-query txs --type alert`.
/// ArgumentParser takes a subcommand's options only after its name, so
/// when the arguments as given do not parse, the subcommand's name is
/// moved to the front and they are parsed again; if that fails too, the
/// first error is the one reported.
public enum SubcommandMain {
    public static func run<Root: ParsableCommand>(_ root: Root.Type, arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        var command: ParsableCommand
        do {
            command = try Root.parseAsRoot(arguments)
        } catch {
            guard let moved = nameFirst(arguments, subcommands: root.configuration.subcommands.map { $0._commandName }),
                  let parsed = try? Root.parseAsRoot(moved) else {
                Root.exit(withError: error)
            }
            command = parsed
        }
        do {
            try command.run()
        } catch {
            Root.exit(withError: error)
        }
    }

    /// The arguments with the first subcommand name moved to the front, or
    /// nil when none is given or it is already first. Nothing after `--`
    /// is a name.
    static func nameFirst(_ arguments: [String], subcommands: [String]) -> [String]? {
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        guard let i = arguments[..<end].firstIndex(where: subcommands.contains), i > 0 else { return nil }
        var moved = arguments
        let name = moved.remove(at: i)
        moved.insert(name, at: 0)
        return moved
    }
}
