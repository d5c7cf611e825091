using Elite.Inference.Concepts;

namespace Elite.Worker;

/// <summary>Concept embeddings by concept id, least recently used evicted first; thread-safe.</summary>
public sealed class ConceptCache(int capacity)
{
    private readonly LinkedList<(string Key, ConceptEmbedding Value)> order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, ConceptEmbedding Value)>> entries = [];
    private readonly Lock gate = new();

    public int Count
    {
        get
        {
            lock (gate) return entries.Count;
        }
    }

    public bool TryGet(string conceptId, out ConceptEmbedding embedding)
    {
        lock (gate)
        {
            if (entries.TryGetValue(conceptId, out var node))
            {
                order.Remove(node);
                order.AddFirst(node);
                embedding = node.Value.Value;
                return true;
            }
        }

        embedding = null!;
        return false;
    }

    public void Add(string conceptId, ConceptEmbedding embedding)
    {
        lock (gate)
        {
            if (entries.Remove(conceptId, out var existing)) order.Remove(existing);
            entries[conceptId] = order.AddFirst((conceptId, embedding));
            while (entries.Count > capacity)
            {
                entries.Remove(order.Last!.Value.Key);
                order.RemoveLast();
            }
        }
    }
}
