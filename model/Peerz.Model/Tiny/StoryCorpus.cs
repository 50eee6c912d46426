using System.Text;

namespace Peerz.Model.Tiny;

/// <summary>
/// Short children's stories generated from a small grammar, the training text of the default model. Written for Peerz
/// and licensed with it: no third-party text is involved, so the trained weights carry no one else's terms. The
/// grammar is fixed and the choices come from <see cref="DeterministicRandom"/>, so a seed always gives the same text.
/// Small vocabulary, regular sentences, names and objects that recur within a story: a model of a few million
/// parameters learns to write it readably in minutes on a CPU.
/// </summary>
public static class StoryCorpus
{
    private static readonly string[] Names = ["Anna", "Ben", "Lily", "Tom", "Mia", "Sam", "Rosa", "Max", "Nora", "Leo", "Ella", "Finn"];
    private static readonly string[] Animals = ["cat", "dog", "bird", "fox", "rabbit", "mouse", "duck", "bear", "frog", "owl"];
    private static readonly string[] Kinds = ["little", "brave", "kind", "shy", "happy", "curious", "small", "clever", "sleepy", "busy"];
    private static readonly string[] Places = ["a small house", "a big garden", "an old mill", "a quiet village", "a green forest", "a farm", "a house by the sea", "a tall tree"];
    private static readonly string[] Landmarks = ["the river", "the hill", "the lake", "the old bridge", "the market", "the school", "the park", "the woods"];
    private static readonly string[] Times = ["morning", "evening", "day", "afternoon"];
    private static readonly string[] Hobbies = ["play in the sun", "read books", "look at the stars", "sing songs", "run in the grass", "help the farmer", "bake bread", "draw pictures", "climb trees", "swim in the lake"];
    private static readonly string[] Objects = ["red ball", "shiny key", "old map", "blue box", "small boat", "yellow kite", "golden coin", "soft hat", "big apple", "magic stone"];
    private static readonly string[] Spots = ["under a tree", "near the river", "in the grass", "behind the door", "on the hill", "by the old bridge", "in the sand", "under the bed"];
    private static readonly string[] Feelings = ["happy", "surprised", "excited", "proud", "glad", "curious"];
    private static readonly string[] Together = ["played until the sun went down", "walked to the lake and back", "shared a big lunch", "built a little house for the birds", "looked for more treasures", "sang a song by the river"];
    private static readonly string[] Problems = ["it started to rain", "the wind took the {object} away", "they got lost in the woods", "the {object} fell into the river", "a big dog ran after them", "it got very dark"];
    private static readonly string[] Solutions = ["{friend} knew the way home", "they waited under a tree until it stopped", "{name} asked a kind old man for help", "they worked together and did not give up", "{friend} had a good idea"];
    private static readonly string[] Lessons = ["it is good to share", "friends help each other", "it is brave to ask for help", "small things can make you happy", "it is fun to try new things"];

    /// <summary>Stories joined by blank lines until the text has at least <paramref name="minimumCharacters"/> characters.</summary>
    public static string Generate(ulong seed, int minimumCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumCharacters);
        var random = new DeterministicRandom(seed);
        var text = new StringBuilder(minimumCharacters + 2048);
        while (text.Length < minimumCharacters)
        {
            if (text.Length > 0) text.Append("\n\n");
            AppendStory(text, random);
        }
        return text.ToString();
    }

    private static void AppendStory(StringBuilder text, DeterministicRandom random)
    {
        string Pick(string[] words) => words[(int)(random.NextUInt64() % (ulong)words.Length)];
        var name = Pick(Names);
        var friend = Pick(Names);
        while (friend == name) friend = Pick(Names);
        var (he, his) = random.NextDouble() < 0.5 ? ("he", "his") : ("she", "her");
        var animal = Pick(Animals);
        var friendAnimal = Pick(Animals);
        var thing = Pick(Objects);
        string Fill(string template) => template.Replace("{object}", thing, StringComparison.Ordinal).Replace("{friend}", friend, StringComparison.Ordinal).Replace("{name}", name, StringComparison.Ordinal);
        static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];

        text.Append($"Once upon a time, there was a {Pick(Kinds)} {animal} named {name}. ");
        text.Append($"{name} lived in {Pick(Places)} near {Pick(Landmarks)}. ");
        text.Append($"Every {Pick(Times)}, {he} liked to {Pick(Hobbies)}. ");
        text.Append($"One day, {name} found a {thing} {Pick(Spots)}. ");
        text.Append($"\"What a nice {thing}!\" said {name}. ");
        text.Append($"{Capital(he)} took the {thing} to {his} friend {friend}, a {Pick(Kinds)} {friendAnimal}. ");
        if (random.NextDouble() < 0.6)
        {
            text.Append($"But then {Fill(Pick(Problems))}. ");
            text.Append($"{name} was scared, but {Fill(Pick(Solutions))}. ");
        }
        text.Append($"{name} and {friend} {Pick(Together)}. ");
        text.Append($"In the end, {name} was {Pick(Feelings)}, and {he} learned that {Pick(Lessons)}.");
    }
}
