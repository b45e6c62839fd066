"""Example toolenv plugin: the `reverse` task and the `bigram` backbone."""
