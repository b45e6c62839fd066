"""Built-in tasks, one file each. They register through the ``toolenv.tasks`` entry points."""
