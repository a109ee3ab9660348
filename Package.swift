// swift-tools-version:6.0
import PackageDescription

let tools = ["ehx-keygen", "ehx-ingest", "ehx-sign", "ehx-mine", "ehx-verify", "ehx-query"]

// Linux with glibc only: that is what is built and tested (Debian, Ubuntu).
// No macOS platform is claimed: nothing runs there in CI, and the code uses
// Synchronization's Atomic (macOS 15) and Glibc calls.
let package = Package(
    name: "ehx",
    products: tools.map { .executable(name: $0, targets: [$0]) } + [
        .library(name: "EHXShared", targets: ["EHXShared"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Plot", from: "0.14.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),
        // The query index (ehx-query index): the system's SQLite, no ORM.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The same index in PostgreSQL (ehx-query index --db postgres://...):
        // libpq, synchronous like the rest of the CLI (see ehx(7) DECISIONS).
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The sha256d nonce-search kernel (SHA-NI with cpuid dispatch and a
        // portable fallback): the one C target DESIGN.md allows.
        .target(name: "CSHA256d"),
        .target(
            name: "EHXShared",
            dependencies: ["COpenSSL", "CJansson", "CSHA256d", "CSQLite", "CPostgres"]
        ),
        .target(
            name: "EHXCommandLine",
            dependencies: [
                "EHXShared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // HTML reports (ehx-query report, ehx-verify --report): Plot for the
        // page, a small typed SVG builder for the charts. Kept out of
        // EHXShared so the other tools do not link an HTML generator.
        .target(
            name: "EHXReport",
            dependencies: ["EHXShared", .product(name: "Plot", package: "Plot")]
        ),
        // Helpers more than one test target needs (test targets cannot import each other).
        .target(
            name: "EHXTestSupport",
            path: "Tests/EHXTestSupport"
        ),
        .testTarget(
            name: "EHXSharedTests",
            dependencies: ["EHXShared", "EHXTestSupport"]
        ),
        .testTarget(
            name: "EHXReportTests",
            dependencies: ["EHXReport", "EHXShared", "EHXTestSupport"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["EHXShared", "EHXTestSupport"] + tools.map { .target(name: $0) }
        ),
    ] + tools.map {
        .executableTarget(
            name: $0,
            dependencies: [
                "EHXShared",
                "EHXCommandLine",
            ] + (["ehx-query", "ehx-verify"].contains($0) ? ["EHXReport"] : []) + [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        )
    }
)
