"""The small library every EstateDesk service uses: config, db, tenancy, auth, events, bus, http."""
