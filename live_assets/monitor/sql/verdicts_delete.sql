-- The verdicts of one bot, span and day, before they are written again.
DELETE FROM monitor.verdicts WHERE bot = $bot AND span = $span AND day = $day
