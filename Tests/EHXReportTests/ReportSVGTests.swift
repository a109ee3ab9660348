import EHXReport
import Testing

@Suite struct ReportSVGTests {
    @Test func escapesTextAndAttributes() {
        let svg = SVG.circle(cx: 1, cy: 2, r: 3).data("x", "\"'<&>").titled("</title><script>alert(1)</script> &lt; \u{1}")
        let out = svg.rendered
        #expect(out == #"<circle cx="1" cy="2" r="3" data-x="&quot;&#39;&lt;&amp;&gt;"><title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt; \#u{fffd}</title></circle>"#)
    }

    @Test func numbersHaveOneDecimalAndNoNegativeZero() {
        #expect(SVG.num(1.26) == "1.3")
        #expect(SVG.num(-0.01) == "0")
        #expect(SVG.num(-2.5) == "-2.5")
        #expect(SVG.num(40) == "40")
        #expect(SVG.num(.nan) == "0")
    }

    @Test func downsampleKeepsMinAndMaxPerColumn() {
        let samples = (0..<1000).map { Downsample.Sample(t: Int64($0), v: $0 == 500 ? 99 : Double($0 % 7)) }
        let buckets = Downsample.buckets(samples, t0: 0, t1: 1000, columns: 10)
        #expect(buckets.count == 10)
        #expect(buckets.map(\.count).reduce(0, +) == 1000)
        #expect(buckets[5].max.v == 99)
        #expect(buckets.allSatisfy { $0.min.v == 0 })
    }
}
