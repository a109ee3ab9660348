import Testing
@testable import EHXShared

@Suite struct IndexLocationTests {
    @Test func aURIsPasswordIsNeverShown() {
        for (uri, shown) in [
            ("postgresql://ehx:s3cret@db.example/ehx", "postgresql://ehx@db.example/ehx"),
            ("postgres://ehx:s3cret@db.example:5433/ehx?sslmode=require&password=other", "postgres://ehx@db.example:5433/ehx?sslmode=require"),
            ("postgresql:///ehx?host=/run/postgresql&password=x&user=ehx", "postgresql:///ehx?host=/run/postgresql&user=ehx"),
            ("postgresql://ehx@/ehx", "postgresql://ehx@/ehx"),
        ] {
            #expect(IndexLocation(uri).displayName == shown)
            #expect(IndexLocation.redactedArgument(uri) == shown)
            #expect(IndexLocation.redactedArgument("--db=" + uri) == "--db=" + shown)
        }
        #expect(IndexLocation("chain.jsonl.index.sqlite") == .sqlite(path: "chain.jsonl.index.sqlite"))
        #expect(IndexLocation("POSTGRESQL://h/db").isPostgres)
    }

    @Test func placeholdersBecomeNumbered() {
        #expect(PostgresDatabase.numbered("SELECT a FROM t WHERE b = ? AND c = '?' AND d < ?") == "SELECT a FROM t WHERE b = $1 AND c = '?' AND d < $2")
    }
}
