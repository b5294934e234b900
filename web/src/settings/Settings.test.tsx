import { MockedProvider } from '@apollo/client/testing/react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { createCache } from '../apollo/cache';
import { WebSettingsDocument, WebUpdateSettingsDocument } from '../gql/graphql';
import { Settings } from './Settings';

const prefs = (quietHours: object, flags: object = {}) => ({
  __typename: 'NotificationPreferences',
  pushEnabled: true,
  emailEnabled: true,
  newMessagePush: true,
  newApplicationPush: true,
  applicationStatusPush: true,
  newReviewPush: true,
  workAgreementPush: true,
  ...flags,
  quietHours: { __typename: 'QuietHours', ...quietHours },
});

describe('Settings', () => {
  it('sends every flag and all four quiet-hours fields, and says when it saved', async () => {
    const saved = { enabled: true, start: '21:30', end: '07:15', timezone: 'Europe/Madrid' };
    const mocks = [
      { request: { query: WebSettingsDocument }, result: { data: { notificationPreferences: prefs({ enabled: false, start: '22:00', end: '08:00', timezone: 'UTC' }) } } },
      {
        request: {
          query: WebUpdateSettingsDocument,
          variables: {
            input: {
              pushEnabled: true,
              emailEnabled: false,
              newMessagePush: true,
              newApplicationPush: false,
              applicationStatusPush: true,
              newReviewPush: true,
              workAgreementPush: true,
              quietHours: saved,
            },
          },
        },
        result: { data: { updateNotificationPreferences: prefs(saved, { emailEnabled: false, newApplicationPush: false }) } },
      },
    ];
    render(
      <MockedProvider mocks={mocks} cache={createCache()}>
        <Settings onBack={() => undefined} />
      </MockedProvider>,
    );
    const user = userEvent.setup();
    await user.click(await screen.findByTestId('quiet-hours-toggle'));
    await user.click(screen.getByTestId('email-toggle'));
    await user.click(screen.getByLabelText('New applications'));
    await user.clear(screen.getByTestId('quiet-hours-start'));
    await user.type(screen.getByTestId('quiet-hours-start'), '21:30');
    await user.clear(screen.getByTestId('quiet-hours-end'));
    await user.type(screen.getByTestId('quiet-hours-end'), '07:15');
    await user.selectOptions(screen.getByTestId('quiet-hours-timezone'), 'Europe/Madrid');
    await user.click(screen.getByTestId('settings-save'));
    expect(await screen.findByText('Saved.')).toBeTruthy();
  });

  it('says so when the service refuses the input', async () => {
    const mocks = [
      { request: { query: WebSettingsDocument }, result: { data: { notificationPreferences: prefs({ enabled: true, start: '22:00', end: '08:00', timezone: 'UTC' }) } } },
      {
        request: {
          query: WebUpdateSettingsDocument,
          variables: {
            input: {
              ...{ pushEnabled: true, emailEnabled: true, newMessagePush: true, newApplicationPush: true, applicationStatusPush: true, newReviewPush: true, workAgreementPush: true },
              quietHours: { enabled: true, start: '22:00', end: '08:00', timezone: 'UTC' },
            },
          },
        },
        result: { errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }] },
      },
    ];
    render(
      <MockedProvider mocks={mocks} cache={createCache()}>
        <Settings onBack={() => undefined} />
      </MockedProvider>,
    );
    await userEvent.click(await screen.findByTestId('settings-save'));
    expect(await screen.findByText(/Could not save/)).toBeTruthy();
  });
});
