namespace Elite.ModelBuilder.Graph;

/// <summary>Element types of graph values.</summary>
public enum ElementType
{
    Float = 1,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
}

/// <summary>One dimension: a fixed size, or a named symbolic size such as the batch <c>B</c>.</summary>
public readonly record struct Dim(long Size, string? Symbol = null)
{
    public bool IsFixed => Symbol is null;

    public static implicit operator Dim(long size) => new(size);

    public static implicit operator Dim(int size) => new(size);

    public static Dim Named(string symbol) => new(-1, symbol);

    public override string ToString() => Symbol ?? Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A value in the graph under construction, with the element type and shape the builder inferred for
/// it. Every helper checks the shapes it combines, so a wrong size fails while building, with the
/// operator and shapes in the message, not later inside ONNX Runtime.
/// </summary>
public sealed record Tensor(string Name, ElementType Type, Dim[] Shape)
{
    public int Rank => Shape.Length;

    public Dim this[int axis] => Shape[axis < 0 ? Shape.Length + axis : axis];

    public string ShapeText => "[" + string.Join(",", Shape) + "]";

    public override string ToString() => $"{Name} {Type} {ShapeText}";
}
