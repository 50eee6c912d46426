Console.WriteLine("peerz");
