/// A small typed SVG builder: elements are made only through the named
/// constructors below, attribute names are fixed strings of this module and
/// every value and text is escaped on rendering, so nothing read from a chain
/// can inject markup. The output is XML (and valid inline SVG in HTML5).
public struct SVG: Sendable {
    public enum Child: Sendable {
        case element(SVG)
        case text(String)
    }

    public let name: String
    public private(set) var attributes: [(String, String)]
    public private(set) var children: [Child]

    private init(_ name: String, _ attributes: [(String, String)], _ children: [Child] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    // MARK: Elements

    /// The root: `viewBox` 0 0 width height, with an accessible label.
    public static func root(width: Double, height: Double, label: String, _ children: [SVG] = []) -> SVG {
        SVG("svg", [("viewBox", "0 0 \(num(width)) \(num(height))"),
                    ("width", num(width)), ("height", num(height)), ("role", "img"), ("aria-label", label)],
            children.map { .element($0) })
    }

    public static func group(_ children: [SVG] = []) -> SVG { SVG("g", [], children.map { .element($0) }) }

    public static func rect(x: Double, y: Double, width: Double, height: Double) -> SVG {
        SVG("rect", [("x", num(x)), ("y", num(y)), ("width", num(max(0, width))), ("height", num(max(0, height)))])
    }

    public static func line(x1: Double, y1: Double, x2: Double, y2: Double) -> SVG {
        SVG("line", [("x1", num(x1)), ("y1", num(y1)), ("x2", num(x2)), ("y2", num(y2))])
    }

    public static func polyline(_ points: [(Double, Double)]) -> SVG {
        SVG("polyline", [("points", pointList(points))])
    }

    public static func polygon(_ points: [(Double, Double)]) -> SVG {
        SVG("polygon", [("points", pointList(points))])
    }

    public static func circle(cx: Double, cy: Double, r: Double) -> SVG {
        SVG("circle", [("cx", num(cx)), ("cy", num(cy)), ("r", num(r))])
    }

    /// A path from absolute move/line commands only.
    public static func path(_ points: [(Double, Double)], closed: Bool = false) -> SVG {
        var d = ""
        for (i, p) in points.enumerated() { d += (i == 0 ? "M" : " L") + num(p.0) + " " + num(p.1) }
        if closed { d += " Z" }
        return SVG("path", [("d", d)])
    }

    public static func text(_ content: String, x: Double, y: Double) -> SVG {
        SVG("text", [("x", num(x)), ("y", num(y))], [.text(content)])
    }

    /// A tooltip for its parent element.
    public static func title(_ content: String) -> SVG { SVG("title", [], [.text(content)]) }

    // MARK: Modifiers

    public func cssClass(_ name: String) -> SVG { attribute("class", name) }
    public func fill(_ colour: String) -> SVG { attribute("fill", colour) }
    public func stroke(_ colour: String, width: Double? = nil) -> SVG {
        var s = attribute("stroke", colour)
        if let width { s = s.attribute("stroke-width", SVG.num(width)) }
        return s
    }
    public func anchor(_ value: String) -> SVG { attribute("text-anchor", value) }
    /// `data-NAME`: structure a test or a script-free reader can find.
    public func data(_ name: String, _ value: String) -> SVG { attribute("data-" + name, value) }
    /// A `<title>` child (the browser's tooltip).
    public func titled(_ content: String) -> SVG { adding(.title(content)) }

    public func adding(_ child: SVG) -> SVG {
        var copy = self
        copy.children.append(.element(child))
        return copy
    }

    public func adding(_ more: [SVG]) -> SVG {
        var copy = self
        copy.children += more.map { .element($0) }
        return copy
    }

    private func attribute(_ name: String, _ value: String) -> SVG {
        var copy = self
        if let i = copy.attributes.firstIndex(where: { $0.0 == name }) { copy.attributes[i].1 = value } else {
            copy.attributes.append((name, value))
        }
        return copy
    }

    // MARK: Rendering

    public var rendered: String {
        var out = ""
        render(into: &out)
        return out
    }

    public func render(into out: inout String) {
        out += "<" + name
        for (k, v) in attributes { out += " " + k + "=\"" + Escape.attribute(v) + "\"" }
        if children.isEmpty {
            out += "/>"
            return
        }
        out += ">"
        for child in children {
            switch child {
            case .element(let e): e.render(into: &out)
            case .text(let t): out += Escape.text(t)
            }
        }
        out += "</" + name + ">"
    }

    // MARK: Numbers

    /// A coordinate with at most one decimal, no exponent, no "-0".
    public static func num(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let tenths = Int64((x * 10).rounded())
        if tenths == 0 { return "0" }
        let sign = tenths < 0 ? "-" : ""
        let a = tenths.magnitude
        return a % 10 == 0 ? "\(sign)\(a / 10)" : "\(sign)\(a / 10).\(a % 10)"
    }

    static func pointList(_ points: [(Double, Double)]) -> String {
        var s = ""
        s.reserveCapacity(points.count * 12)
        for (i, p) in points.enumerated() {
            if i > 0 { s += " " }
            s += num(p.0) + "," + num(p.1)
        }
        return s
    }
}
