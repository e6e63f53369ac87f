INSERT INTO monitor.verdicts (bot, span, day, group_id, group_name, metric, verdict, value, target, reason, offered,
    lost, judged_at)
VALUES ($bot, $span, $day, $group_id, $group_name, $metric, $verdict, $value, $target, $reason, $offered, $lost,
    $judged_at)
