"""The app's and translators' files: the catalogs build, the .po/.mo and banana JSON writers, the runtime."""
