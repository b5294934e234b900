export { detect, maskSpans, HIDDEN, type Detection } from './detection';
export { applyContactInfoPolicy, CONTACT_INFO_POLICIES, type CheckedText, type ContactInfoPolicy } from './contact-info-policy';
