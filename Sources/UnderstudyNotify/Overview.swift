// UnderstudyNotify: telling people what happened. NotificationService takes NotificationEvents (Core), renders
// them (NotificationMessage), rate-limits repeats and queues them per channel, so a slow mail relay never
// holds up failover. A channel is a NotificationChannel: SMTPMailer (SMTP with STARTTLS and AUTH on SwiftNIO),
// WebhookNotifier, CommandNotifier, SNMPTrapSender (v2c and v3).
