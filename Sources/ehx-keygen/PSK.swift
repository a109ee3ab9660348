import ArgumentParser
import EHXCommandLine
import EHXShared
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Keygen {
    struct PSK: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "psk",
            abstract: "Add a device's random 32-byte pre-shared key to a PSK file (created 0600).",
            discussion: "The file is the gateway's (ehx-ingest --psk); a device gets its own key only, with --export (ehx-sign --psk on the device side), so one captured device cannot forge another. A running ehx-ingest reads the file again when it changes (or on SIGHUP). The key itself is never printed. --rotate gives an existing device a new key and keeps the old one, recorded in the file with the end of its grace window, so the gateway accepts readings MACed with either until the device has been re-provisioned."
        )

        @Option(help: "The device id, as it appears in the readings' \"device\" field.")
        var device: String

        @Option(help: "The PSK file to create or update.", completion: .file())
        var psk: String

        @Flag(help: "Replace the device's existing key (the old key stops working at once, in a running ehx-ingest from its next reading).")
        var replace = false

        @Flag(help: "Give the device a new key; the old one is still accepted for --grace.")
        var rotate = false

        @Option(help: "With --rotate: how long the old key stays valid (seconds, or 30m, 24h, 7d).")
        var grace: String = "24h"

        @Option(help: "Also write the device's file: its own current key and no other device's (new file, 0600). Give the device this file, never the gateway's. Alone, for a device that has a key, it changes nothing in --psk.")
        var export: String?

        func run() throws {
            let diagnostics = Diagnostics(tool: "ehx-keygen")
            try reportingFailures(diagnostics) {
                guard !device.isEmpty, device.utf8.count <= 128, !device.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                    throw ToolError(.usage, "--device must be 1 to 128 printable characters")
                }
                guard !(replace && rotate) else { throw ToolError(.usage, "give at most one of --replace and --rotate") }
                guard let graceMs = DurationArgument.milliseconds(grace) else {
                    throw ToolError(.usage, "--grace \(grace): expected a duration such as 3600, 30m, 24h or 7d")
                }
                var file = try PSKFile.loadOrEmpty(path: psk)
                if let export, !replace, !rotate, file.key(for: device) != nil {
                    try file.export(device: device, to: export)
                    print((["device": .string(device), "psk": .string(psk), "export": .string(export)] as JSONValue).canonicalString)
                    return
                }
                let newKey = try SecureRandom.bytes(count: PSKFile.keyBytes)
                var line: JSONValue = ["device": .string(device), "psk": .string(psk)]
                if rotate {
                    guard file.key(for: device) != nil else {
                        throw ToolError(.dataErr, "\(psk): device \(device) has no key to rotate")
                    }
                    let now = Timestamp.now()
                    let until = Timestamp(millisecondsSince1970: now.millisecondsSince1970 + graceMs)
                    file.rotate(device: device, newKey: newKey, graceUntil: until, now: now)
                    line = ["device": .string(device), "psk": .string(psk), "previous_until": .string(until.description)]
                } else {
                    if file.key(for: device) != nil && !replace {
                        throw ToolError(.cantCreate, "\(psk): device \(device) already has a key (use --rotate or --replace to change it)")
                    }
                    file.add(device: device, key: newKey)
                }
                try file.save(path: psk)
                if let export {
                    try file.export(device: device, to: export)
                    line = line.objectValue.map { var o = $0; o["export"] = .string(export); return .object(o) } ?? line
                }
                print(line.canonicalString)
            }
        }
    }
}
