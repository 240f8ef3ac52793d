"""What runs many packages: local trees on a process pool (:mod:`.local`), URLs with many
packages in flight (:mod:`.remote`). Nothing else in modelcheck starts workers."""
