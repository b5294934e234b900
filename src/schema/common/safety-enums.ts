import { registerEnumType } from 'type-graphql';

/** What detection found in a message's text (src/services/detection/). Stored in messages.flags. */
export enum MessageFlag {
  CONTACT_INFO = 'CONTACT_INFO',
  EXTERNAL_LINK = 'EXTERNAL_LINK',
  OFF_PLATFORM_PAYMENT = 'OFF_PLATFORM_PAYMENT',
}

export enum ReportReason {
  SPAM = 'SPAM',
  SCAM = 'SCAM',
  HARASSMENT = 'HARASSMENT',
  OFF_PLATFORM_PAYMENT = 'OFF_PLATFORM_PAYMENT',
  INAPPROPRIATE_CONTENT = 'INAPPROPRIATE_CONTENT',
  OTHER = 'OTHER',
}

export enum ReportStatus {
  OPEN = 'OPEN',
  RESOLVED = 'RESOLVED',
  DISMISSED = 'DISMISSED',
}

registerEnumType(MessageFlag, {
  name: 'MessageFlag',
  description: 'What detection found in a message\'s text when it was sent or edited (see CONTRACT.md).',
  valuesConfig: {
    CONTACT_INFO: { description: 'An email address or a phone number.' },
    EXTERNAL_LINK: { description: 'A link or a bare domain name.' },
    OFF_PLATFORM_PAYMENT: { description: 'A mention of paying outside the marketplace (PayPal, Bizum, bank transfer, ...).' },
  },
});
registerEnumType(ReportReason, { name: 'ReportReason' });
registerEnumType(ReportStatus, { name: 'ReportStatus' });
