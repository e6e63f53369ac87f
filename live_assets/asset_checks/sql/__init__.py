"""The asset checks' SQL files. A package only so that the ``.sql`` files ship with the wheel."""
